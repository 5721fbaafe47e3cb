using System.Globalization;
using Atlas.Actors.Reminders;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Actors.Sqlite;

/// <summary>
/// Reminders in a SQLite file (<c>atlas_reminders</c>), indexed by the grain's ring position. ETags come from one
/// counter, so they are never reused; times are kept to the tick.
/// </summary>
public sealed class SqliteReminderTable : IReminderTable
{
    private const string Columns = "grain_type, grain_key, reminder_name, start_at_ticks, period_ticks, etag";

    private const string ReadByGrainSql = $"select {Columns} from atlas_reminders where grain_type = $type and grain_key = $key";

    private const string ReadRowSql = $"select {Columns} from atlas_reminders where grain_type = $type and grain_key = $key and reminder_name = $name";

    private const string ReadRangeSql = $"select {Columns} from atlas_reminders where grain_hash > $begin and grain_hash <= $end";

    private const string ReadWrappedRangeSql = $"select {Columns} from atlas_reminders where grain_hash > $begin or grain_hash <= $end";

    private const string NextETagSql = "update atlas_counters set value = value + 1 where name = 'reminder_etag' returning value";

    private const string UpsertSql =
        """
        insert into atlas_reminders (grain_type, grain_key, reminder_name, grain_hash, start_at_ticks, period_ticks, etag)
        values ($type, $key, $name, $hash, $start, $period, $etag)
        on conflict (grain_type, grain_key, reminder_name) do update
        set grain_hash = excluded.grain_hash, start_at_ticks = excluded.start_at_ticks, period_ticks = excluded.period_ticks, etag = excluded.etag
        """;

    private const string RemoveSql =
        "delete from atlas_reminders where grain_type = $type and grain_key = $key and reminder_name = $name and etag = $etag";

    private const string Provider = "SQLite reminder table";

    private readonly SqliteDatabase _database;
    private readonly ILogger _logger;

    /// <param name="database">The file; the caller owns it.</param>
    /// <param name="logger">Where failures are logged.</param>
    public SqliteReminderTable(SqliteDatabase database, ILogger<SqliteReminderTable>? logger = null)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Applies the schema migrations (called when the silo starts).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_ => Task.FromResult(true), "creating the schema", cancellationToken);

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, ReadByGrainSql, grainId);
            return await ReadEntriesAsync(command, ct);
        }, token), $"reading the reminders of {grainId}", cancellationToken);

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(uint beginExclusive, uint endInclusive, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = beginExclusive < endInclusive ? ReadRangeSql : ReadWrappedRangeSql;
            command.Parameters.AddWithValue("$begin", (long)beginExclusive);
            command.Parameters.AddWithValue("$end", (long)endInclusive);
            return await ReadEntriesAsync(command, ct);
        }, token), $"reading the reminders of ring range ({beginExclusive}, {endInclusive}]", cancellationToken);

    public Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, ReadRowSql, grainId);
            command.Parameters.AddWithValue("$name", reminderName);
            var rows = await ReadEntriesAsync(command, ct);
            return rows.Count == 0 ? null : rows[0];
        }, token), $"reading reminder '{reminderName}' of {grainId}", cancellationToken);

    public Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return RunAsync(token => _database.WriteAsync(async (connection, transaction, ct) =>
        {
            long etag;
            await using (var next = connection.CreateCommand())
            {
                next.Transaction = transaction;
                next.CommandText = NextETagSql;
                etag = (long)(await next.ExecuteScalarAsync(ct))!;
            }
            await using var command = Command(connection, transaction, UpsertSql, entry.GrainId);
            command.Parameters.AddWithValue("$name", entry.ReminderName);
            command.Parameters.AddWithValue("$hash", (long)entry.GrainHash);
            command.Parameters.AddWithValue("$start", AsUtc(entry.StartAtUtc).Ticks);
            command.Parameters.AddWithValue("$period", entry.Period.Ticks);
            command.Parameters.AddWithValue("$etag", etag);
            await command.ExecuteNonQueryAsync(ct);
            return FormatETag(etag);
        }, token), $"saving reminder '{entry.ReminderName}' of {entry.GrainId}", cancellationToken);
    }

    public Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken = default)
    {
        if (!long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out var etag))
        {
            return Task.FromResult(false); // no row ever had this ETag
        }
        return RunAsync(token => _database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = Command(connection, transaction, RemoveSql, grainId);
            command.Parameters.AddWithValue("$name", reminderName);
            command.Parameters.AddWithValue("$etag", etag);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, token), $"removing reminder '{reminderName}' of {grainId}", cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$type", grainId.Type);
        command.Parameters.AddWithValue("$key", grainId.Key);
        return command;
    }

    private static async Task<IReadOnlyList<ReminderEntry>> ReadEntriesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<ReminderEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new ReminderEntry
            {
                GrainId = new GrainId(reader.GetString(0), reader.GetString(1)),
                ReminderName = reader.GetString(2),
                StartAtUtc = new DateTime(reader.GetInt64(3), DateTimeKind.Utc),
                Period = TimeSpan.FromTicks(reader.GetInt64(4)),
                ETag = FormatETag(reader.GetInt64(5)),
            });
        }
        return entries;
    }

    private static string FormatETag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>Times are stored as UTC ticks; an unspecified kind is taken to be UTC, as the property's name says.</summary>
    private static DateTime AsUtc(DateTime value) => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, string action, CancellationToken cancellationToken) =>
        SqliteFailures.RunAsync(async token =>
            {
                await _database.EnsureSchemaAsync(SqliteMigrations.Actors, token);
                return await operation(token);
            },
            Provider, action, static (message, cause) => new ReminderTableUnavailableException(message, Provider, cause), _logger, cancellationToken);
}
