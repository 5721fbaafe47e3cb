using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.Sqlite;

/// <summary>
/// Applies schema migrations to a SQLite file. Each runs in a write transaction (<c>BEGIN IMMEDIATE</c>, which also
/// excludes other processes) that records it, so a migration is applied once, entirely or not at all.
/// </summary>
public static class SqliteMigrations
{
    private const string CreateTableSql =
        "create table if not exists atlas_schema_migrations (id text primary key, applied_at text not null)";

    /// <summary>
    /// Applies those of <paramref name="migrations"/> not yet applied to the file, in order; returns the ids applied by
    /// this call (empty when they were all there).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(
        SqliteDatabase database,
        IReadOnlyList<SqliteMigration> migrations,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(migrations);
        logger ??= NullLogger.Instance;
        Validate(migrations);
        var done = new List<string>();
        foreach (var migration in migrations)
        {
            var stopwatch = Stopwatch.StartNew();
            var applied = await database.WriteAsync(async (connection, transaction, token) =>
            {
                await ExecuteAsync(connection, transaction, CreateTableSql, token);
                await using (var check = Command(connection, transaction, "select count(*) from atlas_schema_migrations where id = $id"))
                {
                    check.Parameters.AddWithValue("$id", migration.Id);
                    if ((long)(await check.ExecuteScalarAsync(token))! > 0)
                    {
                        return false;
                    }
                }
                try
                {
                    await ExecuteAsync(connection, transaction, migration.Sql, token);
                }
                catch (SqliteException exception) when (!SqliteFailures.IsUnavailable(exception))
                {
                    throw new SqliteMigrationException(migration.Id, exception);
                }
                await using var record = Command(connection, transaction, "insert into atlas_schema_migrations (id, applied_at) values ($id, $at)");
                record.Parameters.AddWithValue("$id", migration.Id);
                record.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(token);
                return true;
            }, cancellationToken);
            if (applied)
            {
                done.Add(migration.Id);
                SqliteLog.MigrationApplied(logger, migration.Id, database.Path, stopwatch.Elapsed.TotalMilliseconds);
            }
        }
        return done;
    }

    private static void Validate(IReadOnlyList<SqliteMigration> migrations)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var migration in migrations)
        {
            ArgumentNullException.ThrowIfNull(migration);
            if (string.IsNullOrWhiteSpace(migration.Id) || string.IsNullOrWhiteSpace(migration.Sql))
            {
                throw new ArgumentException("Every migration needs an id and SQL.", nameof(migrations));
            }
            if (!ids.Add(migration.Id))
            {
                throw new ArgumentException($"Migration id '{migration.Id}' appears twice.", nameof(migrations));
            }
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A migration's SQL failed; its transaction was rolled back and it is not recorded as applied.</summary>
public sealed class SqliteMigrationException : Exception
{
    public SqliteMigrationException(string migrationId, Exception inner)
        : base($"SQLite migration '{migrationId}' failed and was rolled back: {inner.Message}", inner)
    {
        MigrationId = migrationId;
    }

    /// <summary>The id of the migration that failed.</summary>
    public string MigrationId { get; }
}
