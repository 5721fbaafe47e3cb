using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>No ride with that id was created.</summary>
public sealed class UnknownRideException(string rideId) : DomainException($"Ride '{rideId}' does not exist.")
{
    public string RideId { get; } = rideId;
}

/// <summary>A ride with that id exists with different details.</summary>
public sealed class RideAlreadyExistsException(string rideId) : DomainException($"Ride '{rideId}' already exists with different details.")
{
    public string RideId { get; } = rideId;
}

/// <summary>The caller is not the ride's rider or driver.</summary>
public sealed class NotRideParticipantException(string rideId, RideActor actor, string actorId)
    : DomainException($"{actor} '{actorId}' is not a participant of ride '{rideId}'.")
{
    public string RideId { get; } = rideId;
    public RideActor Actor { get; } = actor;
    public string ActorId { get; } = actorId;
}

/// <summary>The driver holds no pending offer of this ride.</summary>
public sealed class OfferNotFoundException(string rideId, string driverId)
    : DomainException($"Ride '{rideId}' has no pending offer for driver '{driverId}'.")
{
    public string RideId { get; } = rideId;
    public string DriverId { get; } = driverId;
}

/// <summary>The offer expired before the driver answered; the ride moved on to the next candidate.</summary>
public sealed class OfferExpiredException(string rideId, string driverId)
    : DomainException($"The offer of ride '{rideId}' to driver '{driverId}' expired.")
{
    public string RideId { get; } = rideId;
    public string DriverId { get; } = driverId;
}

/// <summary>The ride is closed (finished, cancelled or without a driver) and cannot do that any more.</summary>
public sealed class RideClosedException(string rideId, RideStatus status)
    : DomainException($"Ride '{rideId}' is {status.ToWireName()}.")
{
    public string RideId { get; } = rideId;
    public RideStatus Status { get; } = status;
}

/// <summary>The rider already has an open ride.</summary>
public sealed class RiderHasOpenRideException(string riderId, string openRideId)
    : DomainException($"Rider '{riderId}' already has an open ride '{openRideId}'.")
{
    public string RiderId { get; } = riderId;
    public string OpenRideId { get; } = openRideId;
}
