using Atlas.Grains.LiveFeed;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Streams;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Atlas.Grains.Rides.History;

/// <summary>The consumer of one ride's event stream (no methods: it is driven by the stream).</summary>
public interface IRideHistoryProjectionGrain : IGrainWithStringKey;

/// <summary>
/// Subscribed implicitly to every ride's stream (key: the ride id): projects each event into the read model
/// (<see cref="IRideHistoryProjection"/>) and returns only once it is stored, so the stream provider acknowledges
/// nothing the read model lacks; it also hands the events to the dispatcher consoles' live feed
/// (<see cref="LiveFeedRelay"/>). An event at or below the last sequence this activation stored is a repeated delivery
/// and is skipped here; the store drops the ones this activation cannot know about (after a move or a restart).
/// A store outage makes <see cref="OnNextAsync"/> throw: the pulling agent delivers the events again, in order.
/// </summary>
[ImplicitStreamSubscription(AtlasStreams.RideEvents)]
public sealed partial class RideHistoryProjectionGrain(IRideHistoryProjection projection, LiveFeedRelay liveFeed, ILogger<RideHistoryProjectionGrain> logger)
    : Grain, IRideHistoryProjectionGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<RideEventMessage>
{
    private int _lastSequence;

    /// <summary>As a batch observer: when the projection lags, the ride's waiting events come together and are stored in one write.</summary>
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<RideEventMessage>().ResumeAsync(this);

    public async Task OnNextAsync(IList<SequentialItem<RideEventMessage>> items)
    {
        var fresh = new List<RideEventMessage>(items.Count);
        var last = _lastSequence;
        foreach (var item in items)
        {
            if (item.Item.Sequence > last)
            {
                fresh.Add(item.Item);
                last = item.Item.Sequence;
            }
        }
        if (fresh.Count == 0)
        {
            return;
        }
        // The dispatcher consoles see the events from here, the one consumer of the stream (a second implicit
        // subscriber halved the events benchmark): to this silo's relay, before the store, so a store outage
        // does not freeze the live map; a redelivery after one is dropped by the consoles by (ride, sequence).
        liveFeed.RideEvents(fresh);
        await projection.ProjectRideEventsAsync(fresh);
        _lastSequence = last;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(this.GetPrimaryKeyString(), ex);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Warning, "Ride {RideId}: the event stream reported an error")]
    private partial void LogStreamError(string rideId, Exception exception);
}

/// <summary>The consumer of one driver's position stream.</summary>
public interface IDriverPositionProjectionGrain : IGrainWithStringKey;

/// <summary>Subscribed implicitly to every driver's position stream (key: the driver id): stores each position.</summary>
[ImplicitStreamSubscription(AtlasStreams.DriverPositions)]
public sealed partial class DriverPositionProjectionGrain(IRideHistoryProjection projection, LiveFeedRelay liveFeed, ILogger<DriverPositionProjectionGrain> logger)
    : Grain, IDriverPositionProjectionGrain, IStreamSubscriptionObserver, IAsyncObserver<DriverLocationMessage>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<DriverLocationMessage>().ResumeAsync(this);

    public Task OnNextAsync(DriverLocationMessage item, StreamSequenceToken? token = null)
    {
        // The consoles' dots move from here too (see RideHistoryProjectionGrain.OnNextAsync).
        liveFeed.Positions([item]);
        return projection.ProjectDriverPositionsAsync([item]);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(this.GetPrimaryKeyString(), ex);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Warning, "Driver {DriverId}: the position stream reported an error")]
    private partial void LogStreamError(string driverId, Exception exception);
}
