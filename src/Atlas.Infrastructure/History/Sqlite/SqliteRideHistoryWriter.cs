using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;

namespace Atlas.Infrastructure.History.Sqlite;

/// <summary>
/// Writes batches of ride events and positions into the embedded platform's SQLite file, each batch in one write
/// transaction on the file's shared writer: an event already stored inserts nothing (<c>insert or ignore</c>), and a
/// ride's row only moves forward (<c>… on conflict do update … where excluded.last_sequence &gt; last_sequence</c>).
/// </summary>
public sealed class SqliteRideHistoryWriter(SqliteDatabase database) : IHistoryBatchWriter
{
    private const int ConstraintViolated = 19;
    private const int TypeMismatch = 20;

    private const string InsertEventSql =
        """
        insert or ignore into ride_events (ride_id, sequence, name, actor, detail, at, status, rider_id, driver_id, charged, commission, distance_m)
        values ($ride, $sequence, $name, $actor, $detail, $at, $status, $rider, $driver, $charged, $commission, $distance)
        """;

    private const string UpsertRideSql =
        """
        insert into ride_history (ride_id, rider_id, driver_id, status, vehicle_type, city, currency, estimate, charged, commission,
            distance_m, created_at, updated_at, last_sequence)
        values ($ride, $rider, $driver, $status, $vehicle, $city, $currency, $estimate, $charged, $commission, $distance, $created, $at, $sequence)
        on conflict (ride_id) do update set
            rider_id = excluded.rider_id, driver_id = excluded.driver_id, status = excluded.status, vehicle_type = excluded.vehicle_type,
            city = excluded.city, currency = excluded.currency, estimate = excluded.estimate, charged = excluded.charged,
            commission = excluded.commission, distance_m = excluded.distance_m, created_at = excluded.created_at,
            updated_at = excluded.updated_at, last_sequence = excluded.last_sequence
        where excluded.last_sequence > ride_history.last_sequence
        """;

    public async Task WriteRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }
        await database.EnsureSchemaAsync(SqliteRideHistorySchema.Migrations, cancellationToken);
        await database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var insert = Command(connection, transaction, InsertEventSql);
            foreach (var e in events.OrderBy(e => e.RideId, StringComparer.Ordinal).ThenBy(e => e.Sequence))
            {
                Bind(insert, ("$ride", e.RideId), ("$sequence", e.Sequence), ("$name", e.Name), ("$actor", HistoryNames.ActorName(e.Actor)),
                    ("$detail", e.Detail), ("$at", e.At.UtcTicks), ("$status", e.Status.ToWireName()), ("$rider", e.RiderId), ("$driver", e.DriverId),
                    ("$charged", e.ChargedMinor), ("$commission", e.CommissionMinor), ("$distance", e.DistanceMeters));
                await insert.ExecuteNonQueryAsync(token);
            }
            await using var upsert = Command(connection, transaction, UpsertRideSql);
            foreach (var e in events.GroupBy(e => e.RideId).Select(g => g.MaxBy(e => e.Sequence)!))
            {
                Bind(upsert, ("$ride", e.RideId), ("$rider", e.RiderId), ("$driver", e.DriverId), ("$status", e.Status.ToWireName()),
                    ("$vehicle", e.VehicleClass), ("$city", e.City), ("$currency", e.Currency), ("$estimate", e.EstimateMinor),
                    ("$charged", e.ChargedMinor), ("$commission", e.CommissionMinor), ("$distance", e.DistanceMeters),
                    ("$created", e.CreatedAt.UtcTicks), ("$at", e.At.UtcTicks), ("$sequence", e.Sequence));
                await upsert.ExecuteNonQueryAsync(token);
            }
            return 0;
        }, cancellationToken);
    }

    public async Task WriteDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken)
    {
        if (positions.Count == 0)
        {
            return;
        }
        await database.EnsureSchemaAsync(SqliteRideHistorySchema.Migrations, cancellationToken);
        await database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var insert = Command(connection, transaction,
                "insert or ignore into driver_locations (driver_id, at, lat, lon, status) values ($driver, $at, $lat, $lon, $status)");
            foreach (var p in positions)
            {
                Bind(insert, ("$driver", p.DriverId), ("$at", p.At.UtcTicks), ("$lat", p.Location.Latitude), ("$lon", p.Location.Longitude),
                    ("$status", HistoryNames.DriverStatusName(p.Status)));
                await insert.ExecuteNonQueryAsync(token);
            }
            return 0;
        }, cancellationToken);
    }

    public async Task WriteDeadLetterAsync(string kind, string key, int? sequence, string payload, string reason, CancellationToken cancellationToken)
    {
        await database.EnsureSchemaAsync(SqliteRideHistorySchema.Migrations, cancellationToken);
        await database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var insert = Command(connection, transaction,
                "insert into history_dead_letters (kind, key, sequence, payload, reason, at) values ($kind, $key, $sequence, $payload, $reason, $at)");
            Bind(insert, ("$kind", kind), ("$key", key), ("$sequence", sequence), ("$payload", payload), ("$reason", reason), ("$at", DateTimeOffset.UtcNow.UtcTicks));
            return await insert.ExecuteNonQueryAsync(token);
        }, cancellationToken);
    }

    /// <summary>The file refused the values (a check or key constraint, a type mismatch), or a value has no stored spelling.</summary>
    public bool IsRefusal(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is ConstraintViolated or TypeMismatch,
        ArgumentException or FormatException or InvalidCastException => true,
        _ => false,
    };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql) =>
        new(sql, connection, transaction);

    private static void Bind(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in values)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
