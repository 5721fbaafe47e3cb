using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Atlas.Infrastructure.Sqlite;

/// <summary>Registers the per-container registry of SQLite files.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>
    /// The registry of SQLite files (with <see cref="SqliteOptions"/>) that every component keeping data in a file uses
    /// (grain state, reminders, the ledger), so that components on one file share its writer. Idempotent.
    /// </summary>
    public static IServiceCollection AddSqliteDatabases(this IServiceCollection services)
    {
        services.AddOptions<SqliteOptions>();
        services.TryAddSingleton<SqliteDatabases>();
        return services;
    }
}
