using Atlas.Grains.Common;

namespace Atlas.Grains.Drivers;

/// <summary>No driver with that id has registered.</summary>
public sealed class UnknownDriverException(string driverId) : DomainException($"Driver '{driverId}' is not registered.")
{
    public string DriverId { get; } = driverId;
}

/// <summary>A location update's timestamp lies in the future (beyond the allowed clock skew).</summary>
public sealed class LocationInFutureException(string driverId, DateTimeOffset timestamp, DateTimeOffset now)
    : DomainException($"Location of driver '{driverId}' is stamped {timestamp:O}, in the future (now {now:O}).")
{
    public string DriverId { get; } = driverId;
    public DateTimeOffset Timestamp { get; } = timestamp;
    public DateTimeOffset Now { get; } = now;
}

/// <summary>A location update is older than the last one accepted: positions only move forward in time.</summary>
public sealed class StaleLocationException(string driverId, DateTimeOffset timestamp, DateTimeOffset lastAccepted)
    : DomainException($"Location of driver '{driverId}' is stamped {timestamp:O}, older than the last accepted one ({lastAccepted:O}).")
{
    public string DriverId { get; } = driverId;
    public DateTimeOffset Timestamp { get; } = timestamp;
    public DateTimeOffset LastAccepted { get; } = lastAccepted;
}

/// <summary>The driver is not on (or offered) that ride.</summary>
public sealed class DriverRideMismatchException(string driverId, string rideId, string? currentRideId)
    : DomainException($"Driver '{driverId}' is not on ride '{rideId}' (current: {currentRideId ?? "none"}).")
{
    public string DriverId { get; } = driverId;
    public string RideId { get; } = rideId;
    public string? CurrentRideId { get; } = currentRideId;
}
