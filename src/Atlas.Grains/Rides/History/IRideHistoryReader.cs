using Atlas.Grains.Monetary;

namespace Atlas.Grains.Rides.History;

/// <summary>
/// The ride history read model: what the projection of the ride event stream knows, for apps (a rider's or a driver's
/// past rides, a ride's timeline) and for operations (platform figures). It lags the rides by the stream's delivery
/// time (usually well under a second) and is never consulted by the grains.
/// </summary>
public interface IRideHistoryReader
{
    /// <summary>The rider's rides, newest first (by request time), <paramref name="limit"/> per page.</summary>
    /// <param name="riderId">The rider.</param>
    /// <param name="limit">Rides per page, 1 to <see cref="RideHistoryPage.MaxLimit"/>.</param>
    /// <param name="after">The <see cref="RideHistoryPage.Next"/> of the previous page, or null for the first.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<RideHistoryPage> GetRiderRidesAsync(string riderId, int limit = 20, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>The driver's rides, newest first (by request time), <paramref name="limit"/> per page.</summary>
    Task<RideHistoryPage> GetDriverRidesAsync(string driverId, int limit = 20, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>One ride as last projected, or null if the projection has not seen it.</summary>
    Task<RideSummary?> GetRideAsync(string rideId, CancellationToken cancellationToken = default);

    /// <summary>One ride's events in sequence order (empty if the projection has not seen it).</summary>
    Task<IReadOnlyList<RideHistoryEvent>> GetRideEventsAsync(string rideId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Platform figures over the rides requested in [<paramref name="from"/>, <paramref name="to"/>) — all rides when
    /// both are null.
    /// </summary>
    Task<PlatformFigures> GetPlatformFiguresAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default);
}

/// <summary>A ride as the history knows it: its latest projected summary.</summary>
public sealed record RideSummary(
    string RideId,
    string RiderId,
    string? DriverId,
    RideStatus Status,
    string VehicleClass,
    string City,
    Money Estimate,
    Money? Charged,
    Money? Commission,
    long? DistanceMeters,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int LastSequence);

/// <summary>One event of a ride's timeline, with the ride's status after it.</summary>
public sealed record RideHistoryEvent(string RideId, int Sequence, string Name, RideActor Actor, string? Detail, DateTimeOffset At, RideStatus Status);

/// <summary>A page of rides; <see cref="Next"/> asks for the following page, null on the last one.</summary>
public sealed record RideHistoryPage(IReadOnlyList<RideSummary> Rides, string? Next)
{
    /// <summary>The largest page a reader returns.</summary>
    public const int MaxLimit = 200;
}

/// <summary>
/// What the platform did over a period: rides by outcome and the money they moved, per currency (amounts in different
/// currencies are never added together).
/// </summary>
/// <param name="ActiveRides">Rides not yet closed (created, matched, arrived or started).</param>
/// <param name="CompletedRides">Rides finished.</param>
/// <param name="CancelledRides">Rides cancelled by the rider or the driver.</param>
/// <param name="NoDriverRides">Rides that found no driver.</param>
/// <param name="Fares">What riders were charged (sum of charged amounts), per currency.</param>
/// <param name="Revenue">The platform's commission (sum of commissions), per currency.</param>
public sealed record PlatformFigures(
    long ActiveRides,
    long CompletedRides,
    long CancelledRides,
    long NoDriverRides,
    IReadOnlyList<Money> Fares,
    IReadOnlyList<Money> Revenue);
