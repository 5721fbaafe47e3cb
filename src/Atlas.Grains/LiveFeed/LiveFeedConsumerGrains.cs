using Atlas.Grains.Rides.Events;
using Atlas.Grains.Streams;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Atlas.Grains.LiveFeed;

/// <summary>The live feed's consumer of one ride's event stream (no methods: it is driven by the stream).</summary>
public interface ILiveRideFeedGrain : IGrainWithStringKey;

/// <summary>
/// Subscribed implicitly to every ride's stream (key: the ride id), beside the ride history: hands each batch of the
/// ride's events to this silo's <see cref="ILiveFeedRelayGrain"/> (one-way, a stateless worker on the same silo) and
/// returns, so a console never holds up the stream. Nothing is kept: a repeated delivery is relayed again and dropped
/// by the consoles by (ride, sequence). Idle activations go after two minutes: a ride's events come minutes apart at most
/// while it is open, and the feed has no state to rebuild.
/// </summary>
[ImplicitStreamSubscription(AtlasStreams.RideEvents)]
[CollectionAgeLimit(Minutes = 2)]
public sealed class LiveRideFeedGrain : Grain, ILiveRideFeedGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<RideEventMessage>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<RideEventMessage>().ResumeAsync(this);

    public Task OnNextAsync(IList<SequentialItem<RideEventMessage>> items)
    {
        var events = new RideEventMessage[items.Count];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = items[i].Item;
        }
        return GrainFactory.GetGrain<ILiveFeedRelayGrain>(0).RideEvents(events);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask; // the history's consumer logs the stream's errors
}

/// <summary>The live feed's consumer of one driver's position stream.</summary>
public interface ILiveDriverFeedGrain : IGrainWithStringKey;

/// <summary>
/// Subscribed implicitly to every driver's position stream (key: the driver id): hands each position to this silo's
/// <see cref="ILiveFeedRelayGrain"/> (one-way) and returns: the console's dots move as often as drivers publish.
/// </summary>
[ImplicitStreamSubscription(AtlasStreams.DriverPositions)]
[CollectionAgeLimit(Minutes = 2)]
public sealed class LiveDriverFeedGrain : Grain, ILiveDriverFeedGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<DriverLocationMessage>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<DriverLocationMessage>().ResumeAsync(this);

    public Task OnNextAsync(IList<SequentialItem<DriverLocationMessage>> items)
    {
        var positions = new DriverLocationMessage[items.Count];
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = items[i].Item;
        }
        return GrainFactory.GetGrain<ILiveFeedRelayGrain>(0).Positions(positions);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask; // the history's consumer logs the stream's errors
}
