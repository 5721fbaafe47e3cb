using Atlas.Grains.Geo;

namespace Atlas.Grains.Rides.Events;

/// <summary>
/// One event of a ride as published to the event stream, with the ride's summary after it, so a consumer can keep a
/// read model without calling the ride. <see cref="Sequence"/> numbers a ride's events from 1: consumers drop
/// duplicates by (ride, sequence), since delivery is at least once.
/// </summary>
public sealed record RideEventMessage(
    string RideId,
    int Sequence,
    string Name,
    RideActor Actor,
    string? Detail,
    DateTimeOffset At,
    RideStatus Status,
    string RiderId,
    string? DriverId,
    VehicleType VehicleType,
    string City,
    string Currency,
    long EstimateMinor,
    long? ChargedMinor,
    long? CommissionMinor,
    long? DistanceMeters,
    DateTimeOffset CreatedAt);

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
public sealed record DriverLocationMessage(string DriverId, GeoPoint Location, DateTimeOffset At, DriverStatusSnapshot Status);

/// <summary>The driver's status at the time of a position, for history.</summary>
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
