using Atlas.Infrastructure.Postgres;

namespace Atlas.Infrastructure.History;

/// <summary>
/// The ride history's tables in PostgreSQL, written only by the stream projection (<see cref="RideHistoryWriter"/>):
/// <list type="bullet">
/// <item><c>ride_history</c> — one row per ride, its latest summary; <c>last_sequence</c> is the sequence of the event
///   that wrote it, and an upsert only moves it forward, so a late or repeated event never overwrites newer state.</item>
/// <item><c>ride_events</c> — every event once, keyed by <c>(ride_id, sequence)</c>: a repeated delivery inserts
///   nothing.</item>
/// <item><c>driver_locations</c> — positions, keyed by <c>(driver_id, at)</c> (a repeated position inserts nothing).</item>
/// <item><c>history_dead_letters</c> — events the database refused (a value out of range, a constraint), with the
///   reason, set aside so that the stream moves on.</item>
/// </list>
/// </summary>
public static class RideHistorySchema
{
    /// <summary>The ride history's migrations, applied by <see cref="PostgresMigrations"/>.</summary>
    public static IReadOnlyList<PostgresMigration> Migrations { get; } =
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
                currency text not null check (currency ~ '^[A-Z]{3}$'),
                estimate bigint not null,
                charged bigint null,
                commission bigint null,
                distance_m bigint null,
                created_at timestamptz not null,
                updated_at timestamptz not null,
                last_sequence integer not null check (last_sequence >= 1)
            );
            -- Newest first per rider and per driver, with the ride id as tie-breaker (the paging key).
            create index ride_history_rider on ride_history (rider_id, created_at desc, ride_id desc);
            create index ride_history_driver on ride_history (driver_id, created_at desc, ride_id desc) where driver_id is not null;
            create index ride_history_created on ride_history (created_at);
            create index ride_history_open on ride_history (created_at) where status not in ('FINISHED', 'CANCELLED', 'NO_DRIVER');

            create table ride_events (
                ride_id text not null,
                sequence integer not null check (sequence >= 1),
                name text not null,
                actor text not null check (actor in ('rider', 'driver', 'system')),
                detail text null,
                at timestamptz not null,
                status text not null,
                rider_id text not null,
                driver_id text null,
                charged bigint null,
                commission bigint null,
                distance_m bigint null,
                primary key (ride_id, sequence)
            );

            create table driver_locations (
                driver_id text not null,
                at timestamptz not null,
                lat double precision not null check (lat between -90 and 90),
                lon double precision not null check (lon between -180 and 180),
                status text not null,
                primary key (driver_id, at)
            );
            -- Append-mostly in time order: a BRIN index serves retention deletes and time-range scans for a few pages.
            create index driver_locations_at on driver_locations using brin (at);
            """),
        new("history/0002-dead-letters",
            """
            create table history_dead_letters (
                id bigint generated always as identity primary key,
                kind text not null check (kind in ('ride_event', 'position')),
                key text not null,
                sequence integer null,
                payload text not null,
                reason text not null,
                at timestamptz not null default now()
            );
            """),
    ];
}
