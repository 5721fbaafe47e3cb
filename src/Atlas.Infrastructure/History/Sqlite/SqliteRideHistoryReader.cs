using System.Data.Common;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.History;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.History.Sqlite;

/// <summary>
/// The ride history read model in the embedded platform's SQLite file (the tables <see cref="SqliteRideHistoryWriter"/>
/// writes): the same pages (newest first by request time and ride id, the same page tokens), timelines and figures as
/// <see cref="PostgresRideHistoryReader"/>. A file that cannot be read throws <see cref="RideHistoryUnavailableException"/>.
/// </summary>
public sealed class SqliteRideHistoryReader(SqliteDatabase database, ILogger<SqliteRideHistoryReader>? logger = null) : IRideHistoryReader
{
    private const string Store = "SQLite ride history";

    private const string RideColumns =
        "ride_id, rider_id, driver_id, status, vehicle_type, city, currency, estimate, charged, commission, distance_m, created_at, updated_at, last_sequence";

    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    public Task<RideHistoryPage> GetRiderRidesAsync(string riderId, int limit = 20, string? after = null, CancellationToken cancellationToken = default) =>
        PageAsync("rider_id", riderId, limit, after, $"reading the rides of rider {riderId}", cancellationToken);

    public Task<RideHistoryPage> GetDriverRidesAsync(string driverId, int limit = 20, string? after = null, CancellationToken cancellationToken = default) =>
        PageAsync("driver_id", driverId, limit, after, $"reading the rides of driver {driverId}", cancellationToken);

    public Task<RideSummary?> GetRideAsync(string rideId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        return RunAsync(async (connection, token) =>
        {
            await using var command = new SqliteCommand($"select {RideColumns} from ride_history where ride_id = $ride", connection);
            command.Parameters.AddWithValue("$ride", rideId);
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token) ? RideSummaryRows.Read(reader, ReadTime) : null;
        }, $"reading ride {rideId}", cancellationToken);
    }

    public Task<IReadOnlyList<RideHistoryEvent>> GetRideEventsAsync(string rideId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        return RunAsync(async (connection, token) =>
        {
            await using var command = new SqliteCommand(
                "select ride_id, sequence, name, actor, detail, at, status from ride_events where ride_id = $ride order by sequence", connection);
            command.Parameters.AddWithValue("$ride", rideId);
            await using var reader = await command.ExecuteReaderAsync(token);
            var events = new List<RideHistoryEvent>();
            while (await reader.ReadAsync(token))
            {
                events.Add(new RideHistoryEvent(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), HistoryNames.ParseActor(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : reader.GetString(4), Time(reader.GetInt64(5)), RideStatuses.Parse(reader.GetString(6))));
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
        return RunAsync(async (connection, token) =>
        {
            await using var command = new SqliteCommand(
                """
                select currency,
                    sum(status not in ('FINISHED', 'CANCELLED', 'NO_DRIVER')),
                    sum(status = 'FINISHED'),
                    sum(status = 'CANCELLED'),
                    sum(status = 'NO_DRIVER'),
                    sum(charged),
                    sum(commission)
                from ride_history
                where ($from is null or created_at >= $from) and ($to is null or created_at < $to)
                group by currency
                order by currency
                """, connection);
            command.Parameters.AddWithValue("$from", from is { } f ? f.UtcTicks : DBNull.Value);
            command.Parameters.AddWithValue("$to", to is { } t ? t.UtcTicks : DBNull.Value);
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
                if (!reader.IsDBNull(5))
                {
                    fares.Add(new Money(reader.GetInt64(5), currency));
                }
                if (!reader.IsDBNull(6))
                {
                    revenue.Add(new Money(reader.GetInt64(6), currency));
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
        var cursor = after is null ? ((DateTime, string)?)null : PostgresRideHistoryReader.DecodeCursor(after);
        return RunAsync(async (connection, token) =>
        {
            var sql = cursor is null
                ? $"select {RideColumns} from ride_history where {column} = $id order by created_at desc, ride_id desc limit $limit"
                : $"select {RideColumns} from ride_history where {column} = $id and (created_at < $created or (created_at = $created and ride_id < $ride)) " +
                  "order by created_at desc, ride_id desc limit $limit";
            await using var command = new SqliteCommand(sql, connection);
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$limit", limit + 1);
            if (cursor is var (createdAt, rideId))
            {
                command.Parameters.AddWithValue("$created", createdAt.Ticks);
                command.Parameters.AddWithValue("$ride", rideId);
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

    private static readonly Func<DbDataReader, int, DateTimeOffset> ReadTime = (reader, column) => Time(reader.GetInt64(column));

    private static DateTimeOffset Time(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private Task<T> RunAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> read, string action, CancellationToken cancellationToken) =>
        SqliteFailures.RunAsync(async token =>
            {
                await database.EnsureSchemaAsync(SqliteRideHistorySchema.Migrations, token);
                return await database.ReadAsync(read, token);
            },
            Store, action, static (message, cause) => new RideHistoryUnavailableException(message, cause), _logger, cancellationToken);
}
