using System.Text.Json.Serialization;
using Atlas.Api.Json;
using Atlas.Api.Rides;
using Atlas.Grains.Drivers;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;

namespace Atlas.Api.Drivers;

/// <summary>
/// <c>POST /driver/location</c>. <c>timestamp</c>: RFC 3339 string, or unix seconds/milliseconds number (see
/// <see cref="FlexibleTimestampConverter"/>); absent means "now". <c>user_id</c> absent means the caller.
/// </summary>
public sealed record LocationUpdate(
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? UserId,
    double? Latitude,
    double? Longitude,
    [property: JsonConverter(typeof(FlexibleTimestampConverter))] DateTimeOffset? Timestamp = null);

/// <summary>The compatible answer to a location update.</summary>
public sealed record LocationAccepted(bool Success);

/// <summary><c>PUT /driver/profile</c>: register or update the driver.</summary>
public sealed record DriverProfileRequest(string? Name, string? VehicleType, string? City = null);

/// <summary>A driver as the driver (or an admin) sees it.</summary>
public sealed record DriverDetails(
    string DriverId,
    string Name,
    string VehicleType,
    string? City,
    string Status,
    Position? Location,
    DateTimeOffset? LocationAt,
    bool IsFresh,
    string? OrderId,
    DateTimeOffset? OfferExpiresAt)
{
    public static DriverDetails From(DriverSnapshot driver) => new(
        driver.DriverId, driver.Name, driver.VehicleClass, driver.City, driver.Status.ToWireName(), Position.From(driver.Location),
        driver.LocationAt, driver.IsFresh, driver.RideId, driver.OfferExpiresAt);
}

/// <summary>The ride offered to the driver, until it expires; <c>payment_method</c> <c>cash</c> means the rider pays the driver.</summary>
public sealed record OfferDetails(string OrderId, string VehicleType, Position Pickup, Position Dropoff, long Price, string Currency, DateTimeOffset ExpiresAt,
    string PaymentMethod)
{
    public static OfferDetails From(RideOffer offer) => new(
        offer.RideId, offer.VehicleClass, Position.From(offer.Pickup), Position.From(offer.Dropoff), offer.FareEstimate.Minor,
        offer.FareEstimate.Currency.Code, offer.ExpiresAt, offer.PaymentMethod.ToWireName());
}

/// <summary><c>POST /driver/offer/accept</c> and <c>/decline</c>: the offer to answer; absent means the current one.</summary>
public sealed record OfferAnswer([property: JsonConverter(typeof(FlexibleIdConverter))] string? OrderId = null);

/// <summary>The answer to a decline.</summary>
public sealed record OfferDeclined(string OrderId, bool Declined);

/// <summary><c>PUT /driver/order/status</c>: ARRIVED, STARTED, FINISHED or CANCELLED.</summary>
public sealed record OrderStatusUpdate(
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? OrderId,
    string? Status,
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? DriverId = null,
    string? Reason = null);

/// <summary>The ride's status after the driver's update.</summary>
public sealed record OrderStatusChanged(string OrderId, string Status, DateTimeOffset UpdatedAt, long? FinalPrice, long? Charged, string Currency);
