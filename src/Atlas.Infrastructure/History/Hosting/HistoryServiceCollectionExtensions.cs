using Atlas.Grains.Rides.History;
using Atlas.Infrastructure.Postgres;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.History;

/// <summary>Registration of the ride history read model: the stream projection that writes it and the reader that serves it.</summary>
public static class HistoryServiceCollectionExtensions
{
    /// <summary>The options name of the ride history's PostgreSQL connection settings.</summary>
    public const string PostgresOptionsName = "Atlas.History";

    /// <summary>
    /// The ride history in PostgreSQL, on the pool the silo's PostgreSQL providers use for the same connection string:
    /// the projection the stream consumers write through (<see cref="RideHistoryProjection"/> over
    /// <see cref="RideHistoryWriter"/>; tuned by <paramref name="configure"/>) and the reader
    /// (<see cref="PostgresRideHistoryReader"/>). Replaces any projection or reader registered before. A host that only
    /// reads (the API in client mode) gets an unused projection, which opens nothing until written to.
    /// </summary>
    public static IServiceCollection AddPostgresRideHistory(this IServiceCollection services, string postgres,
        Action<RideHistoryProjectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(postgres);
        services.TryAddSingleton<PostgresDataSources>();
        services.AddSerializableExceptions(ExceptionSerialization.Npgsql);
        services.AddOptions<PostgresStorageOptions>(PostgresOptionsName).Configure(o => o.ConnectionString = postgres);
        var options = services.AddOptions<RideHistoryProjectionOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.RemoveAll<IRideHistoryReader>();
        services.AddSingleton<IRideHistoryReader>(sp => new PostgresRideHistoryReader(sp.HistoryDataSource(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<PostgresRideHistoryReader>()));
        services.RemoveAll<IRideHistoryProjection>();
        services.RemoveAll<RideHistoryProjection>();
        services.AddSingleton(sp =>
        {
            var dataSource = sp.HistoryDataSource();
            var loggers = sp.GetService<ILoggerFactory>();
            return new RideHistoryProjection(() => new RideHistoryWriter(dataSource, loggers?.CreateLogger<RideHistoryWriter>()),
                sp.GetRequiredService<IOptions<RideHistoryProjectionOptions>>().Value, loggers?.CreateLogger<RideHistoryProjection>());
        });
        services.AddSingleton<IRideHistoryProjection>(sp => sp.GetRequiredService<RideHistoryProjection>());
        return services;
    }

    /// <summary>
    /// The ride history in the embedded platform's SQLite file (<paramref name="databasePath"/>, shared with grain state,
    /// reminders and the ledger, and with their writer): the projection the stream consumers write through
    /// (<see cref="RideHistoryProjection"/> over <see cref="Sqlite.SqliteRideHistoryWriter"/>) and the reader
    /// (<see cref="Sqlite.SqliteRideHistoryReader"/>). Replaces any projection or reader registered before.
    /// </summary>
    public static IServiceCollection AddSqliteRideHistory(this IServiceCollection services, string databasePath,
        Action<RideHistoryProjectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        services.AddSqliteDatabases();
        var options = services.AddOptions<RideHistoryProjectionOptions>();
        // One writer per file: more loops would only queue on it.
        options.Configure(o => o.RideWriters = o.PositionWriters = 1);
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.RemoveAll<IRideHistoryReader>();
        services.AddSingleton<IRideHistoryReader>(sp => new Sqlite.SqliteRideHistoryReader(sp.GetRequiredService<SqliteDatabases>().Get(databasePath),
            sp.GetService<ILoggerFactory>()?.CreateLogger<Sqlite.SqliteRideHistoryReader>()));
        services.RemoveAll<IRideHistoryProjection>();
        services.RemoveAll<RideHistoryProjection>();
        services.AddSingleton(sp =>
        {
            var database = sp.GetRequiredService<SqliteDatabases>().Get(databasePath);
            return new RideHistoryProjection(() => new Sqlite.SqliteRideHistoryWriter(database),
                sp.GetRequiredService<IOptions<RideHistoryProjectionOptions>>().Value, sp.GetService<ILoggerFactory>()?.CreateLogger<RideHistoryProjection>());
        });
        services.AddSingleton<IRideHistoryProjection>(sp => sp.GetRequiredService<RideHistoryProjection>());
        return services;
    }

    private static Npgsql.NpgsqlDataSource HistoryDataSource(this IServiceProvider services) =>
        services.GetRequiredService<PostgresDataSources>().Get(services.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(PostgresOptionsName));
}
