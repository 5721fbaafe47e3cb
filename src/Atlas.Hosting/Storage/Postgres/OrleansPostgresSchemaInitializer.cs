using System.Net.Sockets;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;

namespace Atlas.Hosting.Storage.Postgres;

/// <summary>
/// Applies <see cref="OrleansPostgresSchema.Migrations"/> when the silo starts, at the first stage of its lifecycle:
/// the reminder table reads <c>OrleansQuery</c> at <see cref="ServiceLifecycleStage.RuntimeGrainServices"/> and the
/// grain storage at <see cref="ServiceLifecycleStage.ApplicationServices"/>, and a stage starts only once every earlier
/// one has completed. A silo lifecycle participant rather than a hosted service: it runs inside the silo's own start
/// (also in test clusters), whatever order hosted services were registered in, and its failure fails that start.
/// A PostgreSQL that is unreachable or refuses the connection fails start-up within the connect timeout, naming the
/// setting to check; a migration that fails is reported as such (<see cref="PostgresMigrationException"/>).
/// </summary>
internal sealed partial class OrleansPostgresSchemaInitializer(
    NpgsqlDataSource dataSource,
    ILogger<OrleansPostgresSchemaInitializer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OrleansPostgresSchemaInitializer), ServiceLifecycleStage.First, ApplyAsync);

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> applied;
        try
        {
            applied = await PostgresMigrations.ApplyAsync(dataSource, OrleansPostgresSchema.Migrations, logger, cancellationToken);
        }
        catch (Exception exception) when ((exception is NpgsqlException or SocketException or TimeoutException) && !cancellationToken.IsCancellationRequested)
        {
            var target = PostgresSetting.Describe(dataSource.ConnectionString);
            LogUnavailable(target, exception);
            throw new AtlasConfigurationException(
                $"PostgreSQL ({target}) could not be used at silo start-up: {exception.Message}. " +
                $"Check that PostgreSQL is running and reachable and that {PostgresSetting.Name} points to it with valid credentials.",
                exception);
        }
        LogSchemaReady(applied.Count);
    }

    [LoggerMessage(1, LogLevel.Information, "PostgreSQL schema of the Orleans grain storage and reminders is up to date ({AppliedCount} migrations applied now)")]
    private partial void LogSchemaReady(int appliedCount);

    [LoggerMessage(2, LogLevel.Error, "PostgreSQL at {Target} could not be used at silo start-up")]
    private partial void LogUnavailable(string target, Exception exception);
}
