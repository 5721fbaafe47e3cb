using Atlas.Grains.Common;

namespace Atlas.Grains.Drivers;

/// <summary>No driver with that id has registered.</summary>
[GenerateSerializer, Alias("atlas.UnknownDriverException")]
public sealed class UnknownDriverException(string driverId) : DomainException($"Driver '{driverId}' is not registered.")
{
    [Id(0)]
    public string DriverId { get; } = driverId;
}

/// <summary>A location update's timestamp lies in the future (beyond the allowed clock skew).</summary>
[GenerateSerializer, Alias("atlas.LocationInFutureException")]
public sealed class LocationInFutureException(string driverId, DateTimeOffset timestamp, DateTimeOffset now)
    : DomainException($"Location of driver '{driverId}' is stamped {timestamp:O}, in the future (now {now:O}).")
{
    [Id(0)]
    public string DriverId { get; } = driverId;
    [Id(1)]
    public DateTimeOffset Timestamp { get; } = timestamp;
    [Id(2)]
    public DateTimeOffset Now { get; } = now;
}

/// <summary>A location update is older than the last one accepted: positions only move forward in time.</summary>
[GenerateSerializer, Alias("atlas.StaleLocationException")]
public sealed class StaleLocationException(string driverId, DateTimeOffset timestamp, DateTimeOffset lastAccepted)
    : DomainException($"Location of driver '{driverId}' is stamped {timestamp:O}, older than the last accepted one ({lastAccepted:O}).")
{
    [Id(0)]
    public string DriverId { get; } = driverId;
    [Id(1)]
    public DateTimeOffset Timestamp { get; } = timestamp;
    [Id(2)]
    public DateTimeOffset LastAccepted { get; } = lastAccepted;
}

/// <summary>The driver is not on (or offered) that ride.</summary>
[GenerateSerializer, Alias("atlas.DriverRideMismatchException")]
public sealed class DriverRideMismatchException(string driverId, string rideId, string? currentRideId)
    : DomainException($"Driver '{driverId}' is not on ride '{rideId}' (current: {currentRideId ?? "none"}).")
{
    [Id(0)]
    public string DriverId { get; } = driverId;
    [Id(1)]
    public string RideId { get; } = rideId;
    [Id(2)]
    public string? CurrentRideId { get; } = currentRideId;
}
