using System.Globalization;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Hosting.Storage.Sqlite;

/// <summary>
/// Orleans' reminder table in a SQLite file (<c>orleans_reminders</c>), indexed by the grain's ring position so that
/// each silo reads only its range. ETags come from one counter, so they are never reused (a reminder removed and
/// registered again never matches an old ETag); times are kept to the tick, in UTC.
/// </summary>
/// <remarks>
/// Ring ranges follow Orleans' own tables (the in-memory table's <c>SingleRange</c>, the ADO.NET table's two range
/// queries): <c>ReadRows(begin, end)</c> returns the grains whose <see cref="GrainId.GetUniformHashCode"/> lies in
/// <c>(begin, end]</c> when <c>begin &lt; end</c>, and in <c>(begin, uint.MaxValue] ∪ [0, end]</c> otherwise, so
/// <c>begin == end</c> is the whole ring. A file that cannot serve a call fails with
/// <see cref="StorageUnavailableException"/> naming the file.
/// </remarks>
public sealed class SqliteReminderTable : IReminderTable
{
    private const string Columns = "grain_type, grain_key, reminder_name, start_at_ticks, period_ticks, etag";

    private const string ReadByGrainSql = $"select {Columns} from orleans_reminders where grain_type = $type and grain_key = $key";

    private const string ReadRowSql = $"select {Columns} from orleans_reminders where grain_type = $type and grain_key = $key and reminder_name = $name";

    private const string ReadRangeSql = $"select {Columns} from orleans_reminders where grain_hash > $begin and grain_hash <= $end";

    private const string ReadWrappedRangeSql = $"select {Columns} from orleans_reminders where grain_hash > $begin or grain_hash <= $end";

    private const string NextETagSql = "update orleans_reminder_etag set last = last + 1 returning last";

    private const string UpsertSql =
        """
        insert into orleans_reminders (grain_type, grain_key, reminder_name, grain_hash, start_at_ticks, period_ticks, etag)
        values ($type, $key, $name, $hash, $start, $period, $etag)
        on conflict (grain_type, grain_key, reminder_name) do update
        set grain_hash = excluded.grain_hash, start_at_ticks = excluded.start_at_ticks, period_ticks = excluded.period_ticks, etag = excluded.etag
        """;

    private const string RemoveSql =
        "delete from orleans_reminders where grain_type = $type and grain_key = $key and reminder_name = $name and etag = $etag";

    private readonly SqliteDatabase _database;
    private readonly ILogger _logger;
    private readonly string _provider;

    /// <param name="database">The file; its owner disposes it. The schema is applied when the silo starts the reminder service.</param>
    /// <param name="logger">Where failures are logged.</param>
    public SqliteReminderTable(SqliteDatabase database, ILogger<SqliteReminderTable>? logger = null)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _provider = $"SQLite reminder table ({database.Path})";
    }

    /// <summary>
    /// Applies the schema (idempotent). Orleans' reminder service calls this as the silo starts, so a file that cannot
    /// be opened fails start-up, naming it.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_ => Task.FromResult(true), "creating the schema", cancellationToken);

    [Obsolete("Orleans calls StartAsync")]
    public Task Init() => StartAsync();

    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, ReadByGrainSql, grainId);
            return new ReminderTableData(await ReadEntriesAsync(command, ct));
        }, token), $"reading the reminders of {grainId}", cancellationToken);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = begin < end ? ReadRangeSql : ReadWrappedRangeSql;
            command.Parameters.AddWithValue("$begin", (long)begin);
            command.Parameters.AddWithValue("$end", (long)end);
            return new ReminderTableData(await ReadEntriesAsync(command, ct));
        }, token), $"reading the reminders of ring range ({begin}, {end}]", cancellationToken);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        return RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, ReadRowSql, grainId);
            command.Parameters.AddWithValue("$name", reminderName);
            var rows = await ReadEntriesAsync(command, ct);
            return rows.Count == 0 ? null : rows[0];
        }, token), $"reading reminder '{reminderName}' of {grainId}", cancellationToken);
    }

    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    /// <summary>Stores the reminder (replacing one of the same grain and name, whatever its ETag); returns its new ETag.</summary>
    public Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.ReminderName);
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
            command.Parameters.AddWithValue("$hash", (long)entry.GrainId.GetUniformHashCode());
            command.Parameters.AddWithValue("$start", AsUtc(entry.StartAt).Ticks);
            command.Parameters.AddWithValue("$period", entry.Period.Ticks);
            command.Parameters.AddWithValue("$etag", etag);
            await command.ExecuteNonQueryAsync(ct);
            return (string?)FormatETag(etag);
        }, token), $"saving reminder '{entry.ReminderName}' of {entry.GrainId}", cancellationToken);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    /// <summary>Removes the reminder if its ETag is <paramref name="eTag"/>; false if it is absent or has another ETag.</summary>
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
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

    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <summary>Removes every reminder. The ETag counter is kept, so ETags stay unique.</summary>
    public Task TestOnlyClearTable(CancellationToken cancellationToken) =>
        RunAsync(token => _database.WriteAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "delete from orleans_reminders";
            return await command.ExecuteNonQueryAsync(ct);
        }, token), "clearing the table", cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$type", grainId.Type.ToString());
        command.Parameters.AddWithValue("$key", grainId.Key.ToString());
        return command;
    }

    private static async Task<List<ReminderEntry>> ReadEntriesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<ReminderEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Create(reader.GetString(0), reader.GetString(1)),
                ReminderName = reader.GetString(2),
                StartAt = new DateTime(reader.GetInt64(3), DateTimeKind.Utc),
                Period = TimeSpan.FromTicks(reader.GetInt64(4)),
                ETag = FormatETag(reader.GetInt64(5)),
            });
        }
        return entries;
    }

    private static string FormatETag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>Times are stored as UTC ticks; an unspecified kind is taken to be UTC, as Orleans' ADO.NET table does.</summary>
    private static DateTime AsUtc(DateTime value) => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, string action, CancellationToken cancellationToken) =>
        SqliteFailures.RunAsync(async token =>
            {
                await _database.EnsureSchemaAsync(SqliteStorageSchema.Migrations, token);
                return await operation(token);
            },
            _provider, action, static (message, cause) => new StorageUnavailableException(message, cause), _logger, cancellationToken);
}
