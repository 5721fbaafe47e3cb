using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>No ride with that id was created.</summary>
[GenerateSerializer, Alias("atlas.UnknownRideException")]
public sealed class UnknownRideException(string rideId) : DomainException($"Ride '{rideId}' does not exist.")
{
    [Id(0)]
    public string RideId { get; } = rideId;
}

/// <summary>A ride with that id exists with different details.</summary>
[GenerateSerializer, Alias("atlas.RideAlreadyExistsException")]
public sealed class RideAlreadyExistsException(string rideId) : DomainException($"Ride '{rideId}' already exists with different details.")
{
    [Id(0)]
    public string RideId { get; } = rideId;
}

/// <summary>The caller is not the ride's rider or driver.</summary>
[GenerateSerializer, Alias("atlas.NotRideParticipantException")]
public sealed class NotRideParticipantException(string rideId, RideActor actor, string actorId)
    : DomainException($"{actor} '{actorId}' is not a participant of ride '{rideId}'.")
{
    [Id(0)]
    public string RideId { get; } = rideId;
    [Id(1)]
    public RideActor Actor { get; } = actor;
    [Id(2)]
    public string ActorId { get; } = actorId;
}

/// <summary>The driver holds no pending offer of this ride.</summary>
[GenerateSerializer, Alias("atlas.OfferNotFoundException")]
public sealed class OfferNotFoundException(string rideId, string driverId)
    : DomainException($"Ride '{rideId}' has no pending offer for driver '{driverId}'.")
{
    [Id(0)]
    public string RideId { get; } = rideId;
    [Id(1)]
    public string DriverId { get; } = driverId;
}

/// <summary>The offer expired before the driver answered; the ride moved on to the next candidate.</summary>
[GenerateSerializer, Alias("atlas.OfferExpiredException")]
public sealed class OfferExpiredException(string rideId, string driverId)
    : DomainException($"The offer of ride '{rideId}' to driver '{driverId}' expired.")
{
    [Id(0)]
    public string RideId { get; } = rideId;
    [Id(1)]
    public string DriverId { get; } = driverId;
}

/// <summary>The ride is closed (finished, cancelled or without a driver) and cannot do that any more.</summary>
[GenerateSerializer, Alias("atlas.RideClosedException")]
public sealed class RideClosedException(string rideId, RideStatus status)
    : DomainException($"Ride '{rideId}' is {status.ToWireName()}.")
{
    [Id(0)]
    public string RideId { get; } = rideId;
    [Id(1)]
    public RideStatus Status { get; } = status;
}

/// <summary>The rider already has an open ride.</summary>
[GenerateSerializer, Alias("atlas.RiderHasOpenRideException")]
public sealed class RiderHasOpenRideException(string riderId, string openRideId)
    : DomainException($"Rider '{riderId}' already has an open ride '{openRideId}'.")
{
    [Id(0)]
    public string RiderId { get; } = riderId;
    [Id(1)]
    public string OpenRideId { get; } = openRideId;
}
