using Atlas.Api.Rides;
using Atlas.Grains.Rides;

namespace Atlas.Api.Admin;

/// <summary>A ride with everything the platform knows: the order, the pending offer and the timeline.</summary>
public sealed record AdminRideDetails(OrderDetails Order, string? OfferedDriverId, DateTimeOffset? OfferExpiresAt, IReadOnlyList<TimelineEvent> Timeline)
{
    public static AdminRideDetails From(RideView ride) => new(
        OrderDetails.From(ride), ride.OfferedDriverId, ride.OfferExpiresAt,
        ride.Timeline.Select(e => new TimelineEvent(e.At, e.Name, e.Actor.ToString().ToLowerInvariant(), e.Detail)).ToArray());
}

/// <summary>One event of a ride's life.</summary>
public sealed record TimelineEvent(DateTimeOffset At, string Name, string Actor, string? Detail);

/// <summary>An available driver found near a point.</summary>
public sealed record NearbyDriver(string DriverId, Position Location, double DistanceMeters, DateTimeOffset LastSeen);

/// <summary>The nearest available drivers, nearest first.</summary>
public sealed record NearbyDrivers(IReadOnlyList<NearbyDriver> Drivers);

/// <summary>A surge cell now: the multiplier a new order there is quoted, and the counts over the city's window behind it.</summary>
public sealed record SurgeDetails(string City, string Cell, bool Enabled, decimal Multiplier, int OpenRequests, int AvailableDrivers, TimeSpan Window, DateTimeOffset At);

/// <summary>An amount in one currency.</summary>
public sealed record AmountDetails(long Amount, string Currency);

/// <summary>What the platform did over a period (<c>GET /admin/figures</c>).</summary>
public sealed record PlatformFiguresDetails(
    long ActiveRides, long CompletedRides, long CancelledRides, long NoDriverRides, IReadOnlyList<AmountDetails> Fares, IReadOnlyList<AmountDetails> Revenue)
{
    public static PlatformFiguresDetails From(Atlas.Grains.Rides.History.PlatformFigures figures) => new(
        figures.ActiveRides, figures.CompletedRides, figures.CancelledRides, figures.NoDriverRides,
        figures.Fares.Select(m => new AmountDetails(m.Minor, m.Currency.Code)).ToArray(),
        figures.Revenue.Select(m => new AmountDetails(m.Minor, m.Currency.Code)).ToArray());
}
