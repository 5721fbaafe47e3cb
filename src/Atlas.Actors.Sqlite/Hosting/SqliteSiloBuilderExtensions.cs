using Atlas.Actors.Hosting;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Sqlite;

/// <summary>Registers the SQLite grain storage and reminder table on a silo (the embedded, one-process platform).</summary>
public static class SqliteSiloBuilderExtensions
{
    /// <summary>
    /// Grain storage in the SQLite file <paramref name="databasePath"/> under <paramref name="name"/>. The file (and its
    /// schema) is created on first use; other providers may use the same file.
    /// </summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        AddSqliteDatabases(builder.Services);
        return builder.AddGrainStorage(name, services => new SqliteGrainStorage(
            name,
            services.GetRequiredService<SqliteDatabases>().Get(databasePath),
            services.GetRequiredService<GrainStateSerializer>(),
            services.GetService<ILogger<SqliteGrainStorage>>()));
    }

    /// <summary>Grain storage in a SQLite file as the default provider (the one <c>[PersistentState("x")]</c> uses).</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(this ISiloBuilder builder, string databasePath) =>
        builder.AddSqliteGrainStorage(PersistentStateAttribute.DefaultStorageName, databasePath);

    /// <summary>Reminders in the SQLite file <paramref name="databasePath"/>; the silo creates the schema when it starts.</summary>
    public static ISiloBuilder UseSqliteReminders(this ISiloBuilder builder, string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        AddSqliteDatabases(builder.Services);
        return builder.UseReminderTable(services => new SqliteReminderTable(
            services.GetRequiredService<SqliteDatabases>().Get(databasePath),
            services.GetService<ILogger<SqliteReminderTable>>()));
    }

    /// <summary>
    /// The per-container registry of SQLite files (with <see cref="SqliteOptions"/>), for other components that keep
    /// data in the same files (the ledger). Idempotent.
    /// </summary>
    public static IServiceCollection AddSqliteDatabases(this IServiceCollection services)
    {
        services.AddOptions<SqliteOptions>();
        services.TryAddSingleton<SqliteDatabases>();
        return services;
    }
}
