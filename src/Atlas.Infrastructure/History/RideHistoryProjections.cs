using Atlas.Grains.Rides.Events;
using Atlas.Infrastructure.Streams;

namespace Atlas.Infrastructure.History;

/// <summary>Projects a batch of the ride streams into <c>ride_events</c> and <c>ride_history</c> (one transaction).</summary>
public sealed class RideEventProjection(RideHistoryWriter writer) : IStreamBatchHandler<RideEventMessage>
{
    public RideEventMessage Parse(StreamEntry entry) => RideStreamEntries.ParseRideEvent(entry);

    public Task HandleAsync(IReadOnlyList<StreamMessage<RideEventMessage>> batch, CancellationToken cancellationToken) =>
        writer.WriteRideEventsAsync(batch.Select(m => m.Value).ToArray(), cancellationToken);

    public bool IsTransient(Exception exception) => RideHistoryWriter.IsTransient(exception);
}

/// <summary>Projects a batch of the position streams into <c>driver_locations</c> (one transaction).</summary>
public sealed class DriverLocationProjection(RideHistoryWriter writer) : IStreamBatchHandler<DriverLocationMessage>
{
    public DriverLocationMessage Parse(StreamEntry entry) => RideStreamEntries.ParseDriverLocation(entry);

    public Task HandleAsync(IReadOnlyList<StreamMessage<DriverLocationMessage>> batch, CancellationToken cancellationToken) =>
        writer.WriteDriverLocationsAsync(batch.Select(m => m.Value).ToArray(), cancellationToken);

    public bool IsTransient(Exception exception) => RideHistoryWriter.IsTransient(exception);
}
