using Atlas.Infrastructure.Sqlite;

namespace Atlas.Infrastructure.History.Sqlite;

/// <summary>
/// The ride history's tables in the embedded platform's SQLite file: the same read model as PostgreSQL's
/// (<see cref="RideHistorySchema"/>), times as UTC ticks (integers order as the times do), amounts in minor units.
/// </summary>
public static class SqliteRideHistorySchema
{
    public static IReadOnlyList<SqliteMigration> Migrations { get; } =
    [
        new("history/0001-tables",
            """
            create table ride_history (
                ride_id text primary key,
                rider_id text not null,
                driver_id text null,
                status text not null check (status in ('CREATED', 'MATCHED', 'ARRIVED', 'STARTED', 'FINISHED', 'CANCELLED', 'NO_DRIVER')),
                vehicle_type text not null,
                city text not null,
                currency text not null check (length(currency) = 3 and currency glob '[A-Z][A-Z][A-Z]'),
                estimate integer not null,
                charged integer null,
                commission integer null,
                distance_m integer null,
                created_at integer not null,
                updated_at integer not null,
                last_sequence integer not null check (last_sequence >= 1)
            );
            create index ride_history_rider on ride_history (rider_id, created_at desc, ride_id desc);
            create index ride_history_driver on ride_history (driver_id, created_at desc, ride_id desc) where driver_id is not null;
            create index ride_history_created on ride_history (created_at);

            create table ride_events (
                ride_id text not null,
                sequence integer not null check (sequence >= 1),
                name text not null,
                actor text not null check (actor in ('rider', 'driver', 'system')),
                detail text null,
                at integer not null,
                status text not null,
                rider_id text not null,
                driver_id text null,
                charged integer null,
                commission integer null,
                distance_m integer null,
                primary key (ride_id, sequence)
            ) without rowid;

            create table driver_locations (
                driver_id text not null,
                at integer not null,
                lat real not null check (lat between -90 and 90),
                lon real not null check (lon between -180 and 180),
                status text not null,
                primary key (driver_id, at)
            ) without rowid;

            create table history_dead_letters (
                id integer primary key autoincrement,
                kind text not null check (kind in ('ride_event', 'position')),
                key text not null,
                sequence integer null,
                payload text not null,
                reason text not null,
                at integer not null
            );
            """),
    ];
}
