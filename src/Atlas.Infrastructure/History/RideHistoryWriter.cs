using Atlas.Infrastructure.Postgres;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Atlas.Infrastructure.History;

/// <summary>What one write changed: events inserted (duplicates are not counted) and ride rows inserted or moved forward.</summary>
public readonly record struct RideHistoryWriteResult(int Inserted, int Updated);

/// <summary>
/// Writes batches of the ride and position streams to PostgreSQL, each batch in one transaction: the batch is
/// copied (binary <c>COPY</c>) into a session-local staging table, then moved into the tables by
/// <c>INSERT … SELECT … ON CONFLICT</c>, so that repeated deliveries vanish — an event already stored inserts nothing,
/// and a ride's row only moves forward (<c>where excluded.last_sequence &gt; ride_history.last_sequence</c>). Rows are
/// inserted in key order, so concurrent projectors lock in the same order and do not deadlock.
/// <para>
/// A writer keeps one connection of the pool for itself, with its staging tables (temporary, <c>ON COMMIT DELETE
/// ROWS</c>, created once per connection): it is not thread-safe — one per consumer. A failed write discards the
/// connection; the next takes a new one. A write that finds its kept connection closed by a server restart is
/// repeated at once on a new one (writes are idempotent). The database down, unreachable or too slow surfaces as
/// <see cref="RideHistoryUnavailableException"/>.
/// </para>
/// </summary>
public sealed class RideHistoryWriter : IHistoryBatchWriter
{
    private const string Store = "PostgreSQL ride history";

    private const string CreateStagingSql =
        """
        create temp table if not exists ride_events_staging (
            ride_id text, sequence integer, name text, actor text, detail text, at timestamptz, status text,
            rider_id text, driver_id text, vehicle_type text, city text, currency text, estimate bigint,
            charged bigint, commission bigint, distance_m bigint, created_at timestamptz
        ) on commit delete rows;
        create temp table if not exists driver_locations_staging (
            driver_id text, at timestamptz, lat double precision, lon double precision, status text
        ) on commit delete rows
        """;

    private const string CopyRideEventsSql =
        """
        copy ride_events_staging (ride_id, sequence, name, actor, detail, at, status, rider_id, driver_id, vehicle_type, city,
            currency, estimate, charged, commission, distance_m, created_at) from stdin (format binary)
        """;

    private const string InsertRideEventsSql =
        """
        insert into ride_events (ride_id, sequence, name, actor, detail, at, status, rider_id, driver_id, charged, commission, distance_m)
        select ride_id, sequence, name, actor, detail, at, status, rider_id, driver_id, charged, commission, distance_m
        from ride_events_staging
        order by ride_id, sequence
        on conflict (ride_id, sequence) do nothing
        """;

    private const string UpsertRideHistorySql =
        """
        insert into ride_history (ride_id, rider_id, driver_id, status, vehicle_type, city, currency, estimate, charged, commission,
            distance_m, created_at, updated_at, last_sequence)
        select distinct on (ride_id) ride_id, rider_id, driver_id, status, vehicle_type, city, currency, estimate, charged, commission,
            distance_m, created_at, at, sequence
        from ride_events_staging
        order by ride_id, sequence desc
        on conflict (ride_id) do update set
            rider_id = excluded.rider_id, driver_id = excluded.driver_id, status = excluded.status,
            vehicle_type = excluded.vehicle_type, city = excluded.city, currency = excluded.currency,
            estimate = excluded.estimate, charged = excluded.charged, commission = excluded.commission,
            distance_m = excluded.distance_m, created_at = excluded.created_at, updated_at = excluded.updated_at,
            last_sequence = excluded.last_sequence
        where excluded.last_sequence > ride_history.last_sequence
        """;

    private const string CopyLocationsSql =
        "copy driver_locations_staging (driver_id, at, lat, lon, status) from stdin (format binary)";

    private const string InsertLocationsSql =
        """
        insert into driver_locations (driver_id, at, lat, lon, status)
        select driver_id, at, lat, lon, status from driver_locations_staging
        order by driver_id, at
        on conflict (driver_id, at) do nothing
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly object _schemaLock = new();
    private Task? _schema;
    private NpgsqlConnection? _connection;
    private bool _staging;

    /// <param name="dataSource">The connection pool; the caller owns it. The schema is created on first use.</param>
    /// <param name="logger">Where migrations are logged.</param>
    public RideHistoryWriter(NpgsqlDataSource dataSource, ILogger<RideHistoryWriter>? logger = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Writes ride events and the rides' summaries in one transaction.</summary>
    public Task<RideHistoryWriteResult> WriteRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Count == 0
            ? Task.FromResult(default(RideHistoryWriteResult))
            : RunAsync($"writing {events.Count} ride events", async (connection, transaction, token) =>
            {
                await using (var copy = await connection.BeginBinaryImportAsync(CopyRideEventsSql, token))
                {
                    foreach (var e in events)
                    {
                        await copy.StartRowAsync(token);
                        await copy.WriteAsync(e.RideId, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.Sequence, NpgsqlDbType.Integer, token);
                        await copy.WriteAsync(e.Name, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(HistoryNames.ActorName(e.Actor), NpgsqlDbType.Text, token);
                        await WriteNullableAsync(copy, e.Detail, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.At.UtcDateTime, NpgsqlDbType.TimestampTz, token);
                        await copy.WriteAsync(e.Status.ToWireName(), NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.RiderId, NpgsqlDbType.Text, token);
                        await WriteNullableAsync(copy, e.DriverId, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.VehicleClass, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.City, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.Currency, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(e.EstimateMinor, NpgsqlDbType.Bigint, token);
                        await WriteNullableAsync(copy, e.ChargedMinor, NpgsqlDbType.Bigint, token);
                        await WriteNullableAsync(copy, e.CommissionMinor, NpgsqlDbType.Bigint, token);
                        await WriteNullableAsync(copy, e.DistanceMeters, NpgsqlDbType.Bigint, token);
                        await copy.WriteAsync(e.CreatedAt.UtcDateTime, NpgsqlDbType.TimestampTz, token);
                    }
                    await copy.CompleteAsync(token);
                }
                await using var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands = { new NpgsqlBatchCommand(InsertRideEventsSql), new NpgsqlBatchCommand(UpsertRideHistorySql) },
                };
                await batch.ExecuteNonQueryAsync(token);
                return new RideHistoryWriteResult(batch.BatchCommands[0].RecordsAffected, batch.BatchCommands[1].RecordsAffected);
            }, cancellationToken);
    }

    /// <summary>Appends driver positions in one transaction (a position already stored is skipped).</summary>
    public Task<RideHistoryWriteResult> WriteDriverLocationsAsync(IReadOnlyList<DriverLocationMessage> locations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locations);
        return locations.Count == 0
            ? Task.FromResult(default(RideHistoryWriteResult))
            : RunAsync($"writing {locations.Count} driver positions", async (connection, transaction, token) =>
            {
                await using (var copy = await connection.BeginBinaryImportAsync(CopyLocationsSql, token))
                {
                    foreach (var l in locations)
                    {
                        await copy.StartRowAsync(token);
                        await copy.WriteAsync(l.DriverId, NpgsqlDbType.Text, token);
                        await copy.WriteAsync(l.At.UtcDateTime, NpgsqlDbType.TimestampTz, token);
                        await copy.WriteAsync(l.Location.Latitude, NpgsqlDbType.Double, token);
                        await copy.WriteAsync(l.Location.Longitude, NpgsqlDbType.Double, token);
                        await copy.WriteAsync(HistoryNames.DriverStatusName(l.Status), NpgsqlDbType.Text, token);
                    }
                    await copy.CompleteAsync(token);
                }
                await using var insert = new NpgsqlCommand(InsertLocationsSql, connection, transaction);
                var inserted = await insert.ExecuteNonQueryAsync(token);
                return new RideHistoryWriteResult(inserted, 0);
            }, cancellationToken);
    }

    /// <summary>Sets an event aside with the reason the database refused it (<c>history_dead_letters</c>).</summary>
    public Task<RideHistoryWriteResult> WriteDeadLetterAsync(string kind, string key, int? sequence, string payload, string reason,
        CancellationToken cancellationToken = default) =>
        RunAsync($"dead-lettering a {kind} of {key}", async (connection, transaction, token) =>
        {
            await using var insert = new NpgsqlCommand(
                "insert into history_dead_letters (kind, key, sequence, payload, reason) values ($1, $2, $3, $4, $5)", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            insert.Parameters.Add(new NpgsqlParameter { Value = sequence is { } s ? s : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
            return new RideHistoryWriteResult(await insert.ExecuteNonQueryAsync(token), 0);
        }, cancellationToken);

    /// <summary>
    /// Whether a write failed because of the database (down, restarting, a deadlock with another projector, the schema
    /// not applicable yet) rather than because of what it was given (a value PostgreSQL refuses: data exceptions,
    /// class 22, and constraint violations, class 23). Only the latter is an entry's fault.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RideHistoryUnavailableException => true,
        PostgresException postgres => !postgres.SqlState.StartsWith("22", StringComparison.Ordinal) && !postgres.SqlState.StartsWith("23", StringComparison.Ordinal),
        // A migration that fails is a deployment's fault, never an entry's: wait for the fix rather than dead-letter.
        PostgresMigrationException => true,
        _ => PostgresFailures.IsUnavailable(exception),
    };

    private async Task<RideHistoryWriteResult> RunAsync(string action,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<RideHistoryWriteResult>> write, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reused = _connection is not null;
            try
            {
                await EnsureSchemaAsync(cancellationToken);
                _connection ??= await _dataSource.OpenConnectionAsync(cancellationToken);
                await using var transaction = await _connection.BeginTransactionAsync(cancellationToken);
                if (!_staging)
                {
                    await using var create = new NpgsqlCommand(CreateStagingSql, _connection, transaction);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
                var result = await write(_connection, transaction, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                _staging = true; // committed with the first transaction, so they exist from now on
                return result;
            }
            catch (Exception exception) when (attempt == 1 && reused && IsBrokenConnection(exception) && !cancellationToken.IsCancellationRequested)
            {
                // The kept connection outlived a server restart (or broke while idle). A write is idempotent, so
                // even one whose commit was in flight can be repeated at once on a new connection.
                await DiscardConnectionAsync();
            }
            catch (Exception exception)
            {
                await FailedAsync(action, exception, cancellationToken);
                throw;
            }
        }
    }

    private static bool IsBrokenConnection(Exception exception) =>
        exception is PostgresException { SqlState: "57P01" or "57P02" } or NpgsqlException { InnerException: IOException or EndOfStreamException };

    /// <summary>Discards the connection (it may be broken or mid-transaction); throws the unavailable exception if the database is the cause.</summary>
    private async Task FailedAsync(string action, Exception exception, CancellationToken cancellationToken)
    {
        await DiscardConnectionAsync();
        if (PostgresFailures.IsUnavailable(exception) && !cancellationToken.IsCancellationRequested)
        {
            throw new RideHistoryUnavailableException(
                $"{Store} is unavailable: {action} failed ({exception.Message}). " +
                "The database is down, unreachable or too slow; the batch stays in the stream and is written when it is back.",
                exception);
        }
    }

    private static Task WriteNullableAsync<TValue>(NpgsqlBinaryImporter copy, TValue? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where TValue : class =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, type, cancellationToken);

    private static Task WriteNullableAsync<TValue>(NpgsqlBinaryImporter copy, TValue? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where TValue : struct =>
        value is { } present ? copy.WriteAsync(present, type, cancellationToken) : copy.WriteNullAsync(cancellationToken);

    private async Task DiscardConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        _staging = false;
        if (connection is not null)
        {
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception exception) when (exception is NpgsqlException or IOException or InvalidOperationException)
            {
                // Already broken: nothing to close.
            }
        }
    }

    private Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        Task schema;
        lock (_schemaLock)
        {
            if (_schema is null || _schema.IsFaulted || _schema.IsCanceled)
            {
                _schema = PostgresMigrations.ApplyAsync(_dataSource, RideHistorySchema.Migrations, _logger, CancellationToken.None);
            }
            schema = _schema;
        }
        return schema.IsCompletedSuccessfully ? Task.CompletedTask : schema.WaitAsync(cancellationToken);
    }

    Task IHistoryBatchWriter.WriteRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken) =>
        WriteRideEventsAsync(events, cancellationToken);

    Task IHistoryBatchWriter.WriteDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken) =>
        WriteDriverLocationsAsync(positions, cancellationToken);

    Task IHistoryBatchWriter.WriteDeadLetterAsync(string kind, string key, int? sequence, string payload, string reason, CancellationToken cancellationToken) =>
        WriteDeadLetterAsync(kind, key, sequence, payload, reason, cancellationToken);

    /// <summary>
    /// The values were refused — by PostgreSQL (data exceptions, class 22; constraint violations, class 23) or before
    /// reaching it (a value with no column spelling) — rather than the database being unavailable or the write cancelled.
    /// </summary>
    public bool IsRefusal(Exception exception) =>
        !IsTransient(exception) && exception is PostgresException or ArgumentException or FormatException or InvalidCastException;

    public ValueTask DisposeAsync() => new(DiscardConnectionAsync());
}
