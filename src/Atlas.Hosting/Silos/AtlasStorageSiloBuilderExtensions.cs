using Atlas.Hosting.Storage.Sqlite;
using Atlas.Infrastructure.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Hosting.Silos;

/// <summary>Where a silo keeps grain state, reminders and the wallets' ledger.</summary>
public static class AtlasStorageSiloBuilderExtensions
{
    /// <summary>
    /// Everything in memory: Orleans' memory grain storage and reminder service, and the in-memory ledger and geo index
    /// (unless stores were registered before). For test clusters; nothing survives the process.
    /// </summary>
    public static ISiloBuilder UseAtlasMemoryStorage(this ISiloBuilder silo)
    {
        silo.AddMemoryGrainStorageAsDefault();
        silo.UseInMemoryReminderService();
        return silo;
    }

    /// <summary>
    /// The embedded platform: grain state (the default storage), reminders and the ledger in one SQLite file (created
    /// with its folder), sharing its writer. See <see cref="SqliteGrainStorage"/> and <see cref="SqliteReminderTable"/>.
    /// </summary>
    public static ISiloBuilder UseAtlasSqliteStorage(this ISiloBuilder silo, string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        silo.AddSqliteGrainStorageAsDefault(databasePath);
        silo.UseSqliteReminderService(databasePath);
        silo.Services.AddSqliteLedger(databasePath);
        return silo;
    }

    /// <summary>
    /// Production: grain state and reminders in PostgreSQL through Orleans' ADO.NET providers (on Atlas' own schema,
    /// applied at start-up), and the ledger in PostgreSQL; rows are separated by <paramref name="serviceId"/>.
    /// </summary>
    public static ISiloBuilder UseAtlasPostgresStorage(this ISiloBuilder silo, string connectionString, string serviceId) =>
        throw new NotImplementedException("PostgreSQL ADO.NET schema: being written");
}
