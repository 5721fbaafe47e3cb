using System.Collections.Immutable;
using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Rides;

/// <summary>What a rider asks for.</summary>
public sealed record RideRequest(string RiderId, GeoPoint Pickup, GeoPoint Dropoff, VehicleType VehicleType, string? City = null);

/// <summary>One event in a ride's life.</summary>
public sealed record RideEvent(DateTimeOffset At, string Name, RideActor Actor, string? Detail = null);

/// <summary>A ride as its participants see it.</summary>
public sealed record RideView(
    string RideId,
    string RiderId,
    string? DriverId,
    RideStatus Status,
    VehicleType VehicleType,
    string City,
    GeoPoint Pickup,
    GeoPoint Dropoff,
    Money FareEstimate,
    Money? HeldAmount,
    Money? FinalFare,
    Money? Charged,
    long? DistanceMeters,
    string? OfferedDriverId,
    DateTimeOffset? OfferExpiresAt,
    RideActor? CancelledBy,
    bool PaymentSettled,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ImmutableArray<RideEvent> Timeline);

/// <summary>The money steps of a closed ride, kept in the ride's state until each is acknowledged.</summary>
public enum PaymentStep
{
    Capture,
    Release,
    Credit,
}

/// <summary>One outbox entry: a wallet call with its idempotency reference.</summary>
public sealed record PaymentInstruction(string Reference, PaymentStep Step, string WalletId, Money Amount, string? HoldReference, bool Done = false);

/// <summary>An offer waiting for its driver's answer.</summary>
public sealed record PendingOffer(string DriverId, DateTimeOffset ExpiresAt);
