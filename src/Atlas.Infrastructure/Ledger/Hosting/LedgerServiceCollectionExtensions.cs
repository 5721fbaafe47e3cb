using Atlas.Infrastructure.Postgres;
using Atlas.Infrastructure.Sqlite;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// Registers the wallets' ledger store. Call before or after <c>AddAtlasGrains()</c>: it replaces any ledger store
/// registered before, and <c>AddAtlasGrains()</c> adds the in-memory one only when none is registered.
/// </summary>
public static class LedgerServiceCollectionExtensions
{
    /// <summary>The options name of the PostgreSQL ledger's connection settings.</summary>
    public const string PostgresOptionsName = "Atlas.Ledger";

    /// <summary>
    /// The ledger in the SQLite file <paramref name="databasePath"/> (the embedded default). The file may also hold
    /// grain state and reminders: providers on one file share its writer (<see cref="SqliteDatabases"/>).
    /// </summary>
    public static IServiceCollection AddSqliteLedger(this IServiceCollection services, string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        services.AddSqliteDatabases();
        services.RemoveAll<ILedgerStore>();
        services.AddSingleton<ILedgerStore>(sp => new SqliteLedgerStore(
            sp.GetRequiredService<SqliteDatabases>().Get(databasePath),
            sp.GetService<ILogger<SqliteLedgerStore>>()));
        return services;
    }

    /// <summary>
    /// The ledger in PostgreSQL (production), on the connection pool the silo's PostgreSQL providers use for the same
    /// connection string and timeouts. <paramref name="configure"/> sets the connect and command timeouts
    /// (<see cref="PostgresStorageOptions"/> named <see cref="PostgresOptionsName"/>; its <c>ServiceId</c> is not used:
    /// wallet ids are global). The schema is created by migrations <c>ledger/...</c> at first use.
    /// </summary>
    public static IServiceCollection AddPostgresLedger(this IServiceCollection services, string connectionString, Action<PostgresStorageOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.TryAddSingleton<PostgresDataSources>();
        services.AddSerializableExceptions(ExceptionSerialization.Npgsql);
        services.AddOptions<PostgresStorageOptions>(PostgresOptionsName).Configure(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
        services.RemoveAll<ILedgerStore>();
        services.AddSingleton<ILedgerStore>(sp => new PostgresLedgerStore(
            sp.GetRequiredService<PostgresDataSources>().Get(sp.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(PostgresOptionsName)),
            sp.GetService<ILogger<PostgresLedgerStore>>()));
        return services;
    }
}
