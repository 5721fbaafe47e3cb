using Atlas.Grains.Rides.Events;

namespace Atlas.Grains.Rides.History;

/// <summary>
/// Where the stream consumers (<see cref="RideHistoryProjectionGrain"/>, <see cref="DriverPositionProjectionGrain"/>)
/// keep the ride history read model: PostgreSQL on silos, the SQLite file on the embedded platform, nothing when no
/// read model is configured. A call returns once its events are durably stored (or set aside as dead letters with
/// their reason, when the store refuses an event itself); it throws when the store is unavailable, and the stream
/// delivers the events again. Writes are idempotent by (ride, sequence) and (driver, time).
/// </summary>
public interface IRideHistoryProjection
{
    /// <summary>Stores ride events (one ride's, in sequence order) and moves the ride's summary forward.</summary>
    Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default);

    /// <summary>Stores driver positions.</summary>
    Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default);
}

/// <summary>Keeps no read model: the default when no history store is configured.</summary>
public sealed class NullRideHistoryProjection : IRideHistoryProjection
{
    public Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
