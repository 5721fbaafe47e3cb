using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Atlas.Infrastructure.Postgres;

/// <summary>
/// Applies schema migrations at start-up. Each migration runs once per database, in a transaction that also records
/// it, under a transaction-scoped advisory lock, so silos (and other Atlas components) starting at the same time
/// neither race nor apply anything twice. A migration that fails rolls back entirely and is retried at the next start.
/// </summary>
public static class PostgresMigrations
{
    /// <summary>The advisory lock that serializes migrations of every component ("ATLAS" in ASCII).</summary>
    private const long LockKey = 0x41544C4153;

    private const string CreateTableSql =
        """
        create table if not exists atlas_schema_migrations (
            id text primary key,
            applied_at timestamptz not null default now()
        )
        """;

    /// <summary>
    /// Applies those of <paramref name="migrations"/> not yet applied to the database, in order; returns the ids applied
    /// by this call (empty when another process applied them first).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(
        NpgsqlDataSource dataSource,
        IReadOnlyList<PostgresMigration> migrations,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(migrations);
        logger ??= NullLogger.Instance;
        Validate(migrations);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var applied = await ReadAppliedAsync(connection, cancellationToken);
        if (applied is not null && migrations.All(m => applied.Contains(m.Id)))
        {
            return []; // the usual start-up: nothing to do, no lock taken
        }

        // Even "create table if not exists" can fail when two sessions run it at once, so it too runs under the lock.
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await LockAsync(connection, transaction, cancellationToken);
            await ExecuteAsync(connection, transaction, CreateTableSql, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var done = new List<string>();
        foreach (var migration in migrations)
        {
            if (applied?.Contains(migration.Id) == true)
            {
                continue;
            }
            var stopwatch = Stopwatch.StartNew();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await LockAsync(connection, transaction, cancellationToken);
            if (await IsAppliedAsync(connection, transaction, migration.Id, cancellationToken))
            {
                await transaction.RollbackAsync(cancellationToken);
                continue; // another process applied it while we waited for the lock
            }
            try
            {
                await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
            }
            catch (PostgresException exception) when (!PostgresFailures.IsUnavailable(exception))
            {
                throw new PostgresMigrationException(migration.Id, exception);
            }
            await using (var record = new NpgsqlCommand("insert into atlas_schema_migrations (id) values ($1)", connection, transaction))
            {
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Id });
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            done.Add(migration.Id);
            PostgresLog.MigrationApplied(logger, migration.Id, stopwatch.Elapsed.TotalMilliseconds);
        }
        return done;
    }

    private static void Validate(IReadOnlyList<PostgresMigration> migrations)
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

    /// <summary>The ids already applied, or null when the migrations table does not exist yet.</summary>
    private static async Task<HashSet<string>?> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select id from atlas_schema_migrations", connection);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null;
        }
    }

    private static async Task<bool> IsAppliedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select exists (select 1 from atlas_schema_migrations where id = $1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKey });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A migration's SQL failed; its transaction was rolled back and it is not recorded as applied.</summary>
public sealed class PostgresMigrationException : Exception
{
    public PostgresMigrationException(string migrationId, Exception inner)
        : base($"PostgreSQL migration '{migrationId}' failed and was rolled back: {inner.Message}", inner)
    {
        MigrationId = migrationId;
    }

    /// <summary>The id of the migration that failed.</summary>
    public string MigrationId { get; }
}
