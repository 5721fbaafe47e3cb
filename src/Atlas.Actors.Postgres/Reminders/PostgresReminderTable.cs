using System.Globalization;
using Atlas.Actors.Reminders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Atlas.Actors.Postgres;

/// <summary>
/// Reminders in PostgreSQL (<c>atlas_reminders</c>), indexed by the grain's ring position so that each silo reads
/// only the reminders of the ranges it owns. ETags come from one sequence, so they are never reused.
/// </summary>
public sealed class PostgresReminderTable : IReminderTable
{
    private const string Columns = "grain_type, grain_key, reminder_name, start_at, period, etag";

    private const string ReadByGrainSql =
        $"select {Columns} from atlas_reminders where service_id = $1 and grain_type = $2 and grain_key = $3";

    private const string ReadRowSql =
        $"select {Columns} from atlas_reminders where service_id = $1 and grain_type = $2 and grain_key = $3 and reminder_name = $4";

    private const string ReadRangeSql =
        $"select {Columns} from atlas_reminders where service_id = $1 and grain_hash > $2 and grain_hash <= $3";

    private const string ReadWrappedRangeSql =
        $"select {Columns} from atlas_reminders where service_id = $1 and (grain_hash > $2 or grain_hash <= $3)";

    private const string UpsertSql =
        """
        insert into atlas_reminders (service_id, grain_type, grain_key, reminder_name, grain_hash, start_at, period, etag)
        values ($1, $2, $3, $4, $5, $6, $7, nextval('atlas_reminder_etag'))
        on conflict (service_id, grain_type, grain_key, reminder_name) do update
        set grain_hash = excluded.grain_hash, start_at = excluded.start_at, period = excluded.period, etag = excluded.etag
        returning etag
        """;

    private const string RemoveSql =
        "delete from atlas_reminders where service_id = $1 and grain_type = $2 and grain_key = $3 and reminder_name = $4 and etag = $5";

    private const string Provider = "PostgreSQL reminder table";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _serviceId;
    private readonly ILogger _logger;

    /// <param name="serviceId">Separates the rows of deployments sharing the database.</param>
    /// <param name="dataSource">The connection pool; the caller owns it.</param>
    /// <param name="logger">Where outages are logged.</param>
    public PostgresReminderTable(string serviceId, NpgsqlDataSource dataSource, ILogger<PostgresReminderTable>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _serviceId = serviceId;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Applies the schema migrations (called when the silo starts).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_ => Task.FromResult(true), readOnly: true, "creating the schema", cancellationToken);

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(ReadByGrainSql);
            AddKey(command, grainId);
            return await ReadEntriesAsync(command, token);
        }, readOnly: true, $"reading the reminders of {grainId}", cancellationToken);

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(uint beginExclusive, uint endInclusive, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(beginExclusive < endInclusive ? ReadRangeSql : ReadWrappedRangeSql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beginExclusive });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = endInclusive });
            return await ReadEntriesAsync(command, token);
        }, readOnly: true, $"reading the reminders of ring range ({beginExclusive}, {endInclusive}]", cancellationToken);

    public Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(ReadRowSql);
            AddKey(command, grainId);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reminderName });
            var rows = await ReadEntriesAsync(command, token);
            return rows.Count == 0 ? null : rows[0];
        }, readOnly: true, $"reading reminder '{reminderName}' of {grainId}", cancellationToken);

    public Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(UpsertSql);
            AddKey(command, entry.GrainId);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.ReminderName });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = entry.GrainHash });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = AsUtc(entry.StartAtUtc) });
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = entry.Period });
            var etag = (long)(await command.ExecuteScalarAsync(token))!;
            return FormatETag(etag);
        }, readOnly: false, $"saving reminder '{entry.ReminderName}' of {entry.GrainId}", cancellationToken);
    }

    public Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken = default)
    {
        if (!long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out var etag))
        {
            return Task.FromResult(false); // no row ever had this ETag
        }
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(RemoveSql);
            AddKey(command, grainId);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reminderName });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = etag });
            return await command.ExecuteNonQueryAsync(token) == 1;
        }, readOnly: false, $"removing reminder '{reminderName}' of {grainId}", cancellationToken);
    }

    private void AddKey(NpgsqlCommand command, GrainId grainId)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Type });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.Key });
    }

    private static async Task<IReadOnlyList<ReminderEntry>> ReadEntriesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<ReminderEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new ReminderEntry
            {
                GrainId = new GrainId(reader.GetString(0), reader.GetString(1)),
                ReminderName = reader.GetString(2),
                StartAtUtc = reader.GetFieldValue<DateTime>(3),
                Period = reader.GetFieldValue<TimeSpan>(4),
                ETag = FormatETag(reader.GetInt64(5)),
            });
        }
        return entries;
    }

    private static string FormatETag(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>timestamptz takes only UTC values; an unspecified kind is taken to be UTC, as the property's name says.</summary>
    private static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, bool readOnly, string action, CancellationToken cancellationToken) =>
        PostgresFailures.RunAsync(async token =>
            {
                await ActorsSchema.EnsureAsync(_dataSource, _logger, token);
                return await operation(token);
            },
            readOnly, Provider, action, static (message, cause) => new ReminderTableUnavailableException(message, Provider, cause), _logger, cancellationToken);
}
