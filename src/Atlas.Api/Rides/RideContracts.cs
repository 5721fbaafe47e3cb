using System.Text.Json.Serialization;
using Atlas.Api.Json;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;

namespace Atlas.Api.Rides;

/// <summary>A position on the wire: <c>{"lat": .., "long": ..}</c>, as the apps name coordinates.</summary>
public sealed record Position(double Lat, double Long)
{
    public static Position From(GeoPoint point) => new(point.Latitude, point.Longitude);

    public static Position? From(GeoPoint? point) => point is { } p ? From(p) : null;
}

/// <summary><c>POST /customer/order</c>: a rider asks for a price and an order id.</summary>
public sealed record OrderRequest(
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? UserId,
    double? PickupLat,
    double? PickupLong,
    double? DropoffLat,
    double? DropoffLong,
    string? VehicleType = null,
    string? City = null,
    string? PaymentMethod = null);

/// <summary>
/// The order as created: status <c>CREATED</c> and the fare estimate in minor units (surge included: <c>surge_multiplier</c>
/// is the multiplier shown, which the ride keeps); <c>vehicle_type</c> is the class name, even when an alias was sent.
/// </summary>
public sealed record OrderCreated(
    string OrderId,
    string Status,
    long Price,
    string Currency,
    string VehicleType,
    string City,
    DateTimeOffset CreatedAt,
    string PaymentMethod,
    decimal SurgeMultiplier,
    string Dispatch)
{
    public static OrderCreated From(RideView ride) => new(ride.RideId, ride.Status.ToWireName(), ride.FareEstimate.Minor, ride.FareEstimate.Currency.Code,
        ride.VehicleClass, ride.City, ride.CreatedAt, ride.PaymentMethod.ToWireName(), ride.SurgeMultiplier, ride.DispatchMode.ToWireName());
}

/// <summary><c>POST /customer/ride/request</c>: find a driver for an order (created here when none is given or open).</summary>
public sealed record RideRequestBody(
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? PassengerId,
    double? PickupLat = null,
    double? PickupLong = null,
    double? DropoffLat = null,
    double? DropoffLong = null,
    string? VehicleType = null,
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? OrderId = null,
    string? City = null,
    string? PaymentMethod = null);

/// <summary>
/// The ride after the request: <c>MATCHED</c> with its <c>driver_id</c> in a city with assign dispatch, <c>CREATED</c>
/// while offered to drivers in one with offer dispatch, <c>NO_DRIVER</c> if none was found. <c>max_price</c> is the most
/// the rider pays (the estimate plus the hold margin); <c>held_amount</c> what the wallet holds (wallet rides).
/// </summary>
public sealed record RideRequested(
    string RideId,
    string OrderId,
    string Status,
    string? DriverId,
    long Price,
    string Currency,
    long? HeldAmount,
    string PaymentMethod,
    decimal SurgeMultiplier,
    long? MaxPrice,
    string VehicleType)
{
    public static RideRequested From(RideView ride) => new(ride.RideId, ride.RideId, ride.Status.ToWireName(), ride.DriverId, ride.FareEstimate.Minor,
        ride.FareEstimate.Currency.Code, ride.HeldAmount?.Minor, ride.PaymentMethod.ToWireName(), ride.SurgeMultiplier, ride.MaxFare?.Minor, ride.VehicleClass);
}

/// <summary><c>POST /customer/order/{id}/cancel</c> (body optional).</summary>
public sealed record CancelRequest(string? Reason = null);

/// <summary>An order as its rider (or its driver, or an admin) sees it. Amounts are minor units of <see cref="Currency"/>.</summary>
public sealed record OrderDetails(
    string OrderId,
    string PassengerId,
    string? DriverId,
    string Status,
    long Price,
    string Currency,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string VehicleType,
    string City,
    Position Pickup,
    Position Dropoff,
    long? HeldAmount,
    long? FinalPrice,
    long? Charged,
    long? DistanceMeters,
    string? CancelledBy,
    bool PaymentSettled,
    string PaymentMethod,
    decimal SurgeMultiplier,
    long? MaxPrice,
    string Dispatch)
{
    public static OrderDetails From(RideView ride) => new(
        ride.RideId, ride.RiderId, ride.DriverId, ride.Status.ToWireName(), ride.FareEstimate.Minor, ride.FareEstimate.Currency.Code,
        ride.CreatedAt, ride.UpdatedAt, ride.VehicleClass, ride.City, Position.From(ride.Pickup), Position.From(ride.Dropoff),
        ride.HeldAmount?.Minor, ride.FinalFare?.Minor, ride.Charged?.Minor, ride.DistanceMeters,
        ride.CancelledBy?.ToString().ToLowerInvariant(), ride.PaymentSettled, ride.PaymentMethod.ToWireName(), ride.SurgeMultiplier,
        ride.MaxFare?.Minor, ride.DispatchMode.ToWireName());
}

/// <summary>One ride in a history list.</summary>
public sealed record RideSummary(
    string OrderId,
    string Status,
    string PassengerId,
    string? DriverId,
    long Price,
    long? FinalPrice,
    long? Charged,
    string Currency,
    Position? Pickup,
    Position? Dropoff,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static RideSummary From(RideView ride) => new(
        ride.RideId, ride.Status.ToWireName(), ride.RiderId, ride.DriverId, ride.FareEstimate.Minor, ride.FinalFare?.Minor, ride.Charged?.Minor,
        ride.FareEstimate.Currency.Code, Position.From(ride.Pickup), Position.From(ride.Dropoff), ride.CreatedAt, ride.UpdatedAt);

    /// <summary>A ride as the history projection knows it (without positions, which the projection does not keep).</summary>
    public static RideSummary From(Atlas.Grains.Rides.History.RideSummary ride) => new(
        ride.RideId, ride.Status.ToWireName(), ride.RiderId, ride.DriverId, ride.Estimate.Minor, ride.Charged?.Minor, ride.Charged?.Minor,
        ride.Estimate.Currency.Code, null, null, ride.CreatedAt, ride.UpdatedAt);
}

/// <summary>A history page, newest first; <c>next</c> asks for the following page (history projection only).</summary>
public sealed record RideHistory(IReadOnlyList<RideSummary> Rides, string? CurrentOrderId = null, string? Next = null);
