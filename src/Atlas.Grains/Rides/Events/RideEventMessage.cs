using Atlas.Grains.Geo;
using Atlas.Grains.Markets;

namespace Atlas.Grains.Rides.Events;

/// <summary>
/// One event of a ride as published to the event stream, with the ride's summary after it, so a consumer can keep a
/// read model without calling the ride. <see cref="Sequence"/> numbers a ride's events from 1: consumers drop
/// duplicates by (ride, sequence), since delivery is at least once.
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

/// <summary>Where rides publish their events (ride history, analytics). Implementations: none, in-memory, Redis Streams.</summary>
public interface IRideEventSink
{
    /// <summary>Appends the events, in order; throws if they could not be appended (the ride retries).</summary>
    Task PublishAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default);
}

/// <summary>Drops events: the default when no stream is configured.</summary>
public sealed class NullRideEventSink : IRideEventSink
{
    public Task PublishAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>Keeps published events in memory (tests).</summary>
public sealed class InMemoryRideEventSink : IRideEventSink
{
    private readonly List<RideEventMessage> _events = [];

    public IReadOnlyList<RideEventMessage> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    public Task PublishAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
    {
        lock (_events)
        {
            _events.AddRange(events);
        }
        return Task.CompletedTask;
    }
}

/// <summary>A driver's position as kept in location history.</summary>
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

/// <summary>
/// Where drivers' accepted positions go for history. Appending never blocks a location update: implementations
/// buffer and write in batches, and may drop under sustained overload (positions are re-sent every few seconds).
/// </summary>
public interface ILocationHistorySink
{
    void Append(DriverLocationMessage location);
}

/// <summary>Keeps no history: the default when no stream is configured.</summary>
public sealed class NullLocationHistorySink : ILocationHistorySink
{
    public void Append(DriverLocationMessage location)
    {
    }
}
