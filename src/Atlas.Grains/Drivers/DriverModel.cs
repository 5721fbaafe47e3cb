using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Drivers;

/// <summary>What a driver registers with.</summary>
public sealed record DriverRegistration(string Name, VehicleType VehicleType, string? City = null);

/// <summary>A driver as others see it.</summary>
public sealed record DriverSnapshot(
    string DriverId,
    string Name,
    VehicleType VehicleType,
    string? City,
    DriverStatus Status,
    GeoPoint? Location,
    DateTimeOffset? LocationAt,
    bool IsFresh,
    string? RideId,
    DateTimeOffset? OfferExpiresAt);

/// <summary>An offer a ride makes to a driver it has claimed.</summary>
public sealed record RideOffer(string RideId, VehicleType VehicleType, GeoPoint Pickup, GeoPoint Dropoff, Money FareEstimate, DateTimeOffset ExpiresAt);

/// <summary>The distance a driver's positions covered between the start and the end of a trip.</summary>
public sealed record TripTrack(string RideId, long DistanceMeters, int Positions);
