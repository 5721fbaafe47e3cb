using Atlas.Infrastructure.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Atlas.Hosting.Storage.Sqlite;

/// <summary>
/// Registers Atlas' SQLite grain storage and reminder table on a silo, the way Orleans' own providers register
/// (a keyed <see cref="IGrainStorage"/> that joins the silo lifecycle; <see cref="IReminderTable"/> plus the reminder
/// service). Providers on one file share its writer (<see cref="SqliteDatabases"/>); the file's busy timeout and
/// durability are <see cref="SqliteOptions"/>, one for every SQLite file of the silo.
/// </summary>
public static class SqliteSiloBuilderExtensions
{
    /// <summary>
    /// Grain storage named <paramref name="name"/> in the SQLite file <paramref name="databasePath"/> (created with its
    /// folder), serializing with the silo's <see cref="IGrainStorageSerializer"/>. The schema is applied when the silo starts.
    /// </summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder silo, string name, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        silo.Services.AddSqliteDatabases();
        silo.Services.AddGrainStorage(name, (services, key) => new SqliteGrainStorage(
            key,
            services.GetRequiredService<SqliteDatabases>().Get(databasePath),
            services.GetRequiredService<IGrainStorageSerializer>(),
            services.GetRequiredService<IActivatorProvider>(),
            services.GetService<ILogger<SqliteGrainStorage>>()));
        return silo;
    }

    /// <summary>SQLite grain storage as the default storage (the one <c>[PersistentState("state")]</c> uses).</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(this ISiloBuilder silo, string databasePath) =>
        silo.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, databasePath);

    /// <summary>
    /// Orleans' reminder service with its table in the SQLite file <paramref name="databasePath"/>; the schema is applied
    /// when the silo starts the reminder service.
    /// </summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder silo, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        silo.AddReminders();
        silo.Services.AddSqliteDatabases();
        silo.Services.AddSingleton<IReminderTable>(services => new SqliteReminderTable(
            services.GetRequiredService<SqliteDatabases>().Get(databasePath),
            services.GetService<ILogger<SqliteReminderTable>>()));
        return silo;
    }
}
