using System.Collections.Immutable;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Rides;

/// <summary>
/// What a rider asks for. <see cref="VehicleClass"/> (a class name or alias of the city), <see cref="City"/> and
/// <see cref="PaymentMethod"/> default to the city's defaults when null.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.RideRequest")]
public sealed record RideRequest(
    [property: Id(0)] string RiderId,
    [property: Id(1)] GeoPoint Pickup,
    [property: Id(2)] GeoPoint Dropoff,
    [property: Id(5)] string? VehicleClass = null,
    [property: Id(4)] string? City = null,
    [property: Id(6)] PaymentMethod? PaymentMethod = null);

/// <summary>One event in a ride's life.</summary>
[GenerateSerializer, Immutable, Alias("atlas.RideEvent")]
public sealed record RideEvent([property: Id(0)] DateTimeOffset At, [property: Id(1)] string Name, [property: Id(2)] RideActor Actor, [property: Id(3)] string? Detail = null);

/// <summary>A ride as its participants see it.</summary>
[GenerateSerializer, Immutable, Alias("atlas.RideView")]
public sealed record RideView(
    [property: Id(0)] string RideId,
    [property: Id(1)] string RiderId,
    [property: Id(2)] string? DriverId,
    [property: Id(3)] RideStatus Status,
    [property: Id(20)] string VehicleClass,
    [property: Id(5)] string City,
    [property: Id(6)] GeoPoint Pickup,
    [property: Id(7)] GeoPoint Dropoff,
    [property: Id(8)] Money FareEstimate,
    [property: Id(9)] Money? HeldAmount,
    [property: Id(10)] Money? FinalFare,
    [property: Id(11)] Money? Charged,
    [property: Id(12)] long? DistanceMeters,
    [property: Id(13)] string? OfferedDriverId,
    [property: Id(14)] DateTimeOffset? OfferExpiresAt,
    [property: Id(15)] RideActor? CancelledBy,
    [property: Id(16)] bool PaymentSettled,
    [property: Id(17)] DateTimeOffset CreatedAt,
    [property: Id(18)] DateTimeOffset UpdatedAt,
    [property: Id(19)] ImmutableArray<RideEvent> Timeline,
    [property: Id(21)] PaymentMethod PaymentMethod,
    [property: Id(22)] DispatchMode DispatchMode,
    [property: Id(23)] int SurgeBasisPoints,
    [property: Id(24)] Money? MaxFare)
{
    /// <summary>The surge multiplier locked into the ride when it was quoted (1.0 when the city does not surge).</summary>
    public decimal SurgeMultiplier => Markets.SurgeMultiplier.FromBasisPoints(SurgeBasisPoints);
}

/// <summary>The money steps of a closed ride, kept in the ride's state until each is acknowledged.</summary>
[GenerateSerializer, Alias("atlas.PaymentStep")]
public enum PaymentStep
{
    Capture,
    Release,
    Credit,
}

/// <summary>One outbox entry: a wallet call with its idempotency reference.</summary>
[GenerateSerializer, Immutable, Alias("atlas.PaymentInstruction")]
public sealed record PaymentInstruction([property: Id(0)] string Reference, [property: Id(1)] PaymentStep Step, [property: Id(2)] string WalletId, [property: Id(3)] Money Amount, [property: Id(4)] string? HoldReference, [property: Id(5)] bool Done = false);

/// <summary>An offer waiting for its driver's answer.</summary>
[GenerateSerializer, Immutable, Alias("atlas.PendingOffer")]
public sealed record PendingOffer([property: Id(0)] string DriverId, [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>
/// The commission of a cash ride reserved on its driver's wallet (a hold that may go below zero down to the city's
/// credit limit): taken at the end of the trip, released if the driver does not take the ride after all.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.CommissionReserve")]
public sealed record CommissionReserve([property: Id(0)] string DriverId, [property: Id(1)] string Reference, [property: Id(2)] Money Amount);
