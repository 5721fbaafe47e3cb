using System.Data.Common;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Atlas.Infrastructure.Postgres;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.History;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Atlas.Infrastructure.History;

/// <summary>
/// The ride history read model on PostgreSQL (the tables the projector writes, see <see cref="RideHistorySchema"/>).
/// Pages are keyset pages — newest first by (request time, ride id) — so a ride projected while a client pages is
/// neither skipped nor shown twice. Reads that fail because the database is down, unreachable or too slow throw
/// <see cref="RideHistoryUnavailableException"/>.
/// </summary>
public sealed class PostgresRideHistoryReader : IRideHistoryReader
{
    private const string Store = "PostgreSQL ride history";

    private const string RideColumns =
        "ride_id, rider_id, driver_id, status, vehicle_type, city, currency, estimate, charged, commission, distance_m, created_at, updated_at, last_sequence";

    private static readonly string[] ClosedStatuses =
        [RideStatus.Finished.ToWireName(), RideStatus.Cancelled.ToWireName(), RideStatus.NoDriver.ToWireName()];

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly object _schemaLock = new();
    private Task? _schema;

    /// <param name="dataSource">The connection pool; the caller owns it. The schema is created on first use if the projector has not yet.</param>
    /// <param name="logger">Where outages are logged.</param>
    public PostgresRideHistoryReader(NpgsqlDataSource dataSource, ILogger<PostgresRideHistoryReader>? logger = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public Task<RideHistoryPage> GetRiderRidesAsync(string riderId, int limit = 20, string? after = null, CancellationToken cancellationToken = default) =>
        PageAsync("rider_id", riderId, limit, after, $"reading the rides of rider {riderId}", cancellationToken);

    public Task<RideHistoryPage> GetDriverRidesAsync(string driverId, int limit = 20, string? after = null, CancellationToken cancellationToken = default) =>
        PageAsync("driver_id", driverId, limit, after, $"reading the rides of driver {driverId}", cancellationToken);

    public Task<RideSummary?> GetRideAsync(string rideId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand($"select {RideColumns} from ride_history where ride_id = $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rideId });
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token) ? RideSummaryRows.Read(reader, ReadTime) : null;
        }, $"reading ride {rideId}", cancellationToken);
    }

    public Task<IReadOnlyList<RideHistoryEvent>> GetRideEventsAsync(string rideId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "select ride_id, sequence, name, actor, detail, at, status from ride_events where ride_id = $1 order by sequence");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rideId });
            await using var reader = await command.ExecuteReaderAsync(token);
            var events = new List<RideHistoryEvent>();
            while (await reader.ReadAsync(token))
            {
                events.Add(new RideHistoryEvent(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), HistoryNames.ParseActor(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : reader.GetString(4), AsOffset(reader.GetFieldValue<DateTime>(5)), RideStatuses.Parse(reader.GetString(6))));
            }
            return (IReadOnlyList<RideHistoryEvent>)events;
        }, $"reading the events of ride {rideId}", cancellationToken);
    }

    public Task<PlatformFigures> GetPlatformFiguresAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default)
    {
        if (from is { } start && to is { } end && end < start)
        {
            throw new ArgumentException($"The window ends ({end:O}) before it starts ({start:O}).", nameof(to));
        }
        return RunAsync(async token =>
        {
            var window = new List<string>();
            var parameters = new List<NpgsqlParameter>();
            if (from is { } fromValue)
            {
                parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = fromValue.UtcDateTime });
                window.Add($"created_at >= ${parameters.Count}");
            }
            if (to is { } toValue)
            {
                parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = toValue.UtcDateTime });
                window.Add($"created_at < ${parameters.Count}");
            }
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ClosedStatuses });
            var closed = $"${parameters.Count}";
            var where = window.Count == 0 ? "" : "where " + string.Join(" and ", window);
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var command = new NpgsqlCommand(
                $"""
                select currency,
                    count(*) filter (where status <> all({closed})),
                    count(*) filter (where status = 'FINISHED'),
                    count(*) filter (where status = 'CANCELLED'),
                    count(*) filter (where status = 'NO_DRIVER'),
                    sum(charged),
                    sum(commission)
                from ride_history {where}
                group by currency
                order by currency
                """, connection);
            command.Parameters.AddRange(parameters.ToArray());
            await using var reader = await command.ExecuteReaderAsync(token);
            long active = 0, completed = 0, cancelled = 0, noDriver = 0;
            var fares = new List<Money>();
            var revenue = new List<Money>();
            while (await reader.ReadAsync(token))
            {
                var currency = new Currency(reader.GetString(0));
                active += reader.GetInt64(1);
                completed += reader.GetInt64(2);
                cancelled += reader.GetInt64(3);
                noDriver += reader.GetInt64(4);
                // sum(bigint) is numeric in PostgreSQL; a sum beyond a long would be beyond any real platform.
                if (!reader.IsDBNull(5))
                {
                    fares.Add(new Money(decimal.ToInt64(reader.GetDecimal(5)), currency));
                }
                if (!reader.IsDBNull(6))
                {
                    revenue.Add(new Money(decimal.ToInt64(reader.GetDecimal(6)), currency));
                }
            }
            return new PlatformFigures(active, completed, cancelled, noDriver, fares, revenue);
        }, "reading the platform figures", cancellationToken);
    }

    private Task<RideHistoryPage> PageAsync(string column, string id, int limit, string? after, string action, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, RideHistoryPage.MaxLimit);
        var cursor = after is null ? ((DateTime, string)?)null : DecodeCursor(after);
        return RunAsync(async token =>
        {
            var sql = cursor is null
                ? $"select {RideColumns} from ride_history where {column} = $1 order by created_at desc, ride_id desc limit $2"
                : $"select {RideColumns} from ride_history where {column} = $1 and (created_at, ride_id) < ($3, $4) order by created_at desc, ride_id desc limit $2";
            await using var command = _dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
            if (cursor is var (createdAt, rideId))
            {
                command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = createdAt });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rideId });
            }
            await using var reader = await command.ExecuteReaderAsync(token);
            var rides = new List<RideSummary>(limit + 1);
            while (await reader.ReadAsync(token))
            {
                rides.Add(RideSummaryRows.Read(reader, ReadTime));
            }
            return RideSummaryRows.Page(rides, limit);
        }, action, cancellationToken);
    }

    private static readonly Func<DbDataReader, int, DateTimeOffset> ReadTime = (reader, column) => AsOffset(reader.GetFieldValue<DateTime>(column));

    /// <summary>An opaque page token: the last ride's request time (UTC ticks) and id, base64url.</summary>
    internal static string EncodeCursor(RideSummary last) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{last.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{last.RideId}"));

    internal static (DateTime, string) DecodeCursor(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && colon < text.Length - 1)
            {
                return (new DateTime(ticks, DateTimeKind.Utc), text[(colon + 1)..]);
            }
        }
        catch (FormatException)
        {
        }
        catch (ArgumentOutOfRangeException)
        {
        }
        throw new ArgumentException($"'{token}' is not a page token of the ride history.", nameof(token));
    }

    private static DateTimeOffset AsOffset(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

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

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, string action, CancellationToken cancellationToken) =>
        PostgresFailures.RunAsync(async token =>
            {
                await EnsureSchemaAsync(token);
                return await operation(token);
            },
            readOnly: true, Store, action, static (message, cause) => new RideHistoryUnavailableException(message, cause), _logger, cancellationToken);
}
