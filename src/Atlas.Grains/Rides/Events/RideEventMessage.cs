using Atlas.Grains.Geo;
using Atlas.Grains.Markets;

namespace Atlas.Grains.Rides.Events;

/// <summary>
/// One event of a ride as published to its stream (<see cref="Streams.AtlasStreams.RideStream"/>), with the ride's
/// summary after it, so a consumer can keep a read model without calling the ride. <see cref="Sequence"/> numbers a
/// ride's events from 1: consumers drop duplicates by (ride, sequence), since delivery is at least once.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.RideEventMessage")]
public sealed record RideEventMessage(
    [property: Id(0)] string RideId,
    [property: Id(1)] int Sequence,
    [property: Id(2)] string Name,
    [property: Id(3)] RideActor Actor,
    [property: Id(4)] string? Detail,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] RideStatus Status,
    [property: Id(7)] string RiderId,
    [property: Id(8)] string? DriverId,
    [property: Id(17)] string VehicleClass,
    [property: Id(10)] string City,
    [property: Id(11)] string Currency,
    [property: Id(12)] long EstimateMinor,
    [property: Id(13)] long? ChargedMinor,
    [property: Id(14)] long? CommissionMinor,
    [property: Id(15)] long? DistanceMeters,
    [property: Id(16)] DateTimeOffset CreatedAt,
    [property: Id(18)] PaymentMethod PaymentMethod = PaymentMethod.Wallet,
    [property: Id(19)] int SurgeBasisPoints = SurgeMultiplier.None);

/// <summary>A driver's accepted position as published to the driver's stream (<see cref="Streams.AtlasStreams.PositionStream"/>).</summary>
[GenerateSerializer, Immutable, Alias("atlas.DriverLocationMessage")]
public sealed record DriverLocationMessage([property: Id(0)] string DriverId, [property: Id(1)] GeoPoint Location, [property: Id(2)] DateTimeOffset At, [property: Id(3)] DriverStatusSnapshot Status);

/// <summary>The driver's status at the time of a position, for history.</summary>
[GenerateSerializer, Alias("atlas.DriverStatusSnapshot")]
public enum DriverStatusSnapshot
{
    Offline,
    Available,
    Offered,
    OnTrip,
}
