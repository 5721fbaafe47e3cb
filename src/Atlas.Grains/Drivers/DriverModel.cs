using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Drivers;

/// <summary>What a driver registers with: <see cref="VehicleClass"/> is a class name or alias of the city (its default class when null).</summary>
[GenerateSerializer, Immutable, Alias("atlas.DriverRegistration")]
public sealed record DriverRegistration([property: Id(0)] string Name, [property: Id(3)] string? VehicleClass, [property: Id(2)] string? City = null);

/// <summary>A driver as others see it.</summary>
[GenerateSerializer, Immutable, Alias("atlas.DriverSnapshot")]
public sealed record DriverSnapshot(
    [property: Id(0)] string DriverId,
    [property: Id(1)] string Name,
    [property: Id(10)] string VehicleClass,
    [property: Id(3)] string? City,
    [property: Id(4)] DriverStatus Status,
    [property: Id(5)] GeoPoint? Location,
    [property: Id(6)] DateTimeOffset? LocationAt,
    [property: Id(7)] bool IsFresh,
    [property: Id(8)] string? RideId,
    [property: Id(9)] DateTimeOffset? OfferExpiresAt);

/// <summary>An offer a ride makes to a driver it has claimed.</summary>
[GenerateSerializer, Immutable, Alias("atlas.RideOffer")]
public sealed record RideOffer(
    [property: Id(0)] string RideId,
    [property: Id(6)] string VehicleClass,
    [property: Id(2)] GeoPoint Pickup,
    [property: Id(3)] GeoPoint Dropoff,
    [property: Id(4)] Money FareEstimate,
    [property: Id(5)] DateTimeOffset ExpiresAt,
    [property: Id(7)] PaymentMethod PaymentMethod = PaymentMethod.Wallet);

/// <summary>The distance a driver's positions covered between the start and the end of a trip.</summary>
[GenerateSerializer, Immutable, Alias("atlas.TripTrack")]
public sealed record TripTrack([property: Id(0)] string RideId, [property: Id(1)] long DistanceMeters, [property: Id(2)] int Positions);
