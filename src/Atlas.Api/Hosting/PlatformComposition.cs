using Atlas.Actors;
using Atlas.Actors.Hosting;
using Atlas.Actors.Postgres;
using Atlas.Grains.Hosting;

namespace Atlas.Api.Hosting;

/// <summary>
/// Where the grains run and what they store on, chosen by configuration — the one place that wires the platform:
/// <c>Atlas:Mode</c> (<c>embedded</c> | <c>client</c>), <c>Atlas:DataPath</c>, <c>ConnectionStrings:Postgres</c>,
/// <c>ConnectionStrings:Redis</c>.
/// </summary>
public static class PlatformComposition
{
    public const string PostgresConnectionName = "Postgres";
    public const string RedisConnectionName = "Redis";

    public static WebApplicationBuilder AddAtlasPlatform(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<PlatformOptions>().BindConfiguration(PlatformOptions.SectionName);
        var options = configuration.GetSection(PlatformOptions.SectionName).Get<PlatformOptions>() ?? new PlatformOptions();
        var plan = PlatformPlan.From(options, configuration.GetConnectionString(PostgresConnectionName), configuration.GetConnectionString(RedisConnectionName));
        builder.Services.AddSingleton(plan);

        switch (plan.Mode)
        {
            case PlatformMode.Embedded:
                AddEmbeddedSilo(builder, plan);
                break;
            case PlatformMode.Client:
                // The TCP transport and the client hosting extension are on their way; until they are merged, say so
                // at start-up instead of failing at the first request.
                throw new AtlasConfigurationException(
                    "Atlas:Mode=client needs the TCP transport and the cluster-client hosting extension, which this build " +
                    "does not have yet. Use Atlas:Mode=embedded (the default) to run a silo in this process.");
            default:
                throw new AtlasConfigurationException($"Atlas:Mode must be 'embedded' or 'client', not '{plan.Mode}'.");
        }
        return builder;
    }

    /// <summary>A silo in this process with the ride grains; storage as the plan says.</summary>
    private static void AddEmbeddedSilo(WebApplicationBuilder builder, PlatformPlan plan)
    {
        builder.Services.AddAtlasSilo(silo =>
        {
            // One silo, so membership and transport stay in the process.
            silo.UseInMemoryClustering();
            if (plan.Storage == PlatformStorage.Postgres)
            {
                silo.AddPostgresGrainStorageAsDefault(plan.PostgresConnectionString!);
                silo.UsePostgresReminders(plan.PostgresConnectionString!);
                // Ledger: services.AddPostgresLedger(plan.PostgresConnectionString!) once it is merged (in-memory until then).
            }
            else
            {
                // Embedded storage. With the SQLite providers merged, these three lines become:
                //   silo.AddSqliteGrainStorageAsDefault(plan.DataPath);
                //   silo.UseSqliteReminders(plan.DataPath);
                //   builder.Services.AddSqliteLedger(plan.DataPath);
                silo.AddMemoryGrainStorageAsDefault();
                silo.UseInMemoryReminders();
            }
        });
        // After the store registrations above: AddAtlasGrains only fills in the in-memory stores nobody registered.
        builder.Services.AddAtlasGrains(builder.Configuration);
        builder.Services.AddHostedService<PlatformStartupLog>();
    }
}

/// <summary>What the configuration asked for, resolved once.</summary>
public sealed record PlatformPlan(PlatformMode Mode, PlatformStorage Storage, string DataPath, string? PostgresConnectionString, string? RedisConnectionString)
{
    public static PlatformPlan From(PlatformOptions options, string? postgres, string? redis)
    {
        var dataPath = Path.GetFullPath(string.IsNullOrWhiteSpace(options.DataPath) ? "./data" : options.DataPath);
        var storage = string.IsNullOrWhiteSpace(postgres) ? PlatformStorage.Embedded : PlatformStorage.Postgres;
        return new PlatformPlan(options.Mode, storage, dataPath, NullIfBlank(postgres), NullIfBlank(redis));
    }

    /// <summary>For logs and <c>/version</c>: what runs where, without secrets.</summary>
    public string Describe() => Storage == PlatformStorage.Postgres
        ? $"{Mode.ToString().ToLowerInvariant()} silo, grain state and reminders on PostgreSQL, ledger in memory"
        : $"{Mode.ToString().ToLowerInvariant()} silo, state in memory (SQLite in {DataPath} once merged)";

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>What the grains store on.</summary>
public enum PlatformStorage
{
    /// <summary>Files under <see cref="PlatformOptions.DataPath"/> (in memory until the SQLite providers are merged).</summary>
    Embedded,

    /// <summary>PostgreSQL from <c>ConnectionStrings:Postgres</c>.</summary>
    Postgres,
}

/// <summary>Says once at start-up what the platform runs on, and what is not durable yet.</summary>
internal sealed partial class PlatformStartupLog(PlatformPlan plan, ILogger<PlatformStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogPlatform(plan.Describe());
        if (plan.Storage == PlatformStorage.Embedded)
        {
            LogNotDurable();
        }
        else
        {
            LogLedgerInMemory();
        }
        if (plan.RedisConnectionString is not null)
        {
            LogRedisUnused();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Atlas platform: {Description}")]
    private partial void LogPlatform(string description);

    [LoggerMessage(LogLevel.Warning, "Grain state, reminders and the ledger are kept in memory and lost when the process stops (the SQLite providers are not in this build)")]
    private partial void LogNotDurable();

    [LoggerMessage(LogLevel.Warning, "Grain state and reminders are on PostgreSQL but the ledger is in memory (the PostgreSQL ledger is not in this build)")]
    private partial void LogLedgerInMemory();

    [LoggerMessage(LogLevel.Information, "ConnectionStrings:Redis is set but unused by an embedded silo (Redis carries cluster membership, for client mode)")]
    private partial void LogRedisUnused();
}
