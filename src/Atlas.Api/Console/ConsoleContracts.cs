using Atlas.Api.Admin;
using Atlas.Api.Drivers;
using Atlas.Api.Rides;

namespace Atlas.Api.Console;

/// <summary>A driver on the map: <c>status</c> available, offered, on_trip or offline; <c>stale</c> when not heard from within the freshness window.</summary>
public sealed record ConsoleDriver(string DriverId, Position? Location, string Status, string? RideId, DateTimeOffset? LocationAt, bool Stale);

/// <summary>A ride on the map, from pickup to drop-off, with the summary its last event carried.</summary>
public sealed record ConsoleRide(
    string RideId,
    string Status,
    string LastEvent,
    string RiderId,
    string? DriverId,
    string? OfferedDriverId,
    Position? Pickup,
    Position? Dropoff,
    string City,
    string VehicleType,
    long Price,
    string Currency,
    string PaymentMethod,
    decimal SurgeMultiplier,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A surge cell: the multiplier rides requested there were quoted, until the city's surge window has passed.</summary>
public sealed record ConsoleSurgeCell(string City, string Cell, double South, double West, double North, double East, decimal Multiplier, DateTimeOffset Until);

/// <summary>Drivers on the map by status.</summary>
public sealed record ConsoleDriverCounts(int Available, int Offered, int OnTrip, int Offline, int Stale);

/// <summary>
/// The figures beside the map: rides requested in the last minute; over <see cref="WindowSeconds"/>, time from request to
/// match (p50, p95), matched, cancelled, unmatched and finished rides and the platform's revenue (commissions);
/// <see cref="RevenueTotal"/> and the totals since <see cref="Since"/> (when this API started following the feed).
/// </summary>
public sealed record ConsoleMetrics(
    int RidesPerMinute,
    double? TimeToMatchP50Seconds,
    double? TimeToMatchP95Seconds,
    int Requested,
    int Matched,
    int Cancellations,
    int NoDriver,
    int Finished,
    IReadOnlyList<AmountDetails> Revenue,
    IReadOnlyList<AmountDetails> RevenueTotal,
    long RequestedTotal,
    long CancellationsTotal,
    long FinishedTotal,
    int OpenRides,
    ConsoleDriverCounts Drivers,
    double WindowSeconds,
    DateTimeOffset Since);

/// <summary>A city's market as the console shows it.</summary>
public sealed record ConsoleCity(string Name, string Dispatch, bool SurgeEnabled, string Currency);

/// <summary>Everything the console shows, at once (<c>GET /console/api/snapshot</c>).</summary>
public sealed record ConsoleSnapshot(
    DateTimeOffset At,
    double CellSizeDegrees,
    double FreshnessWindowSeconds,
    IReadOnlyList<ConsoleCity> Cities,
    IReadOnlyList<ConsoleDriver> Drivers,
    IReadOnlyList<ConsoleRide> Rides,
    IReadOnlyList<ConsoleSurgeCell> SurgeCells,
    ConsoleMetrics Metrics);

/// <summary>What changed since the last update sent to one console (an <c>update</c> event of <c>GET /console/api/events</c>).</summary>
public sealed record ConsoleDelta(
    DateTimeOffset At,
    IReadOnlyList<ConsoleDriver> Drivers,
    IReadOnlyList<ConsoleRide> Rides,
    IReadOnlyList<string> RemovedDrivers,
    IReadOnlyList<string> RemovedRides,
    IReadOnlyList<ConsoleSurgeCell> SurgeCells,
    ConsoleMetrics Metrics);

/// <summary>A status change of a driver as the live feed showed it.</summary>
public sealed record DriverStatusChange(DateTimeOffset At, string Status, string? RideId);

/// <summary>A driver's timeline: the driver now, the status changes the console saw, and the driver's latest rides.</summary>
public sealed record ConsoleDriverDetails(DriverDetails Driver, IReadOnlyList<DriverStatusChange> Seen, IReadOnlyList<RideSummary> Rides);

/// <summary>A search hit: <c>kind</c> ride or driver.</summary>
public sealed record ConsoleSearchHit(string Kind, string Id, string Status);

/// <summary>Rides and drivers whose id starts with the query (on the map), or that exist with exactly that id.</summary>
public sealed record ConsoleSearchResult(IReadOnlyList<ConsoleSearchHit> Hits);
