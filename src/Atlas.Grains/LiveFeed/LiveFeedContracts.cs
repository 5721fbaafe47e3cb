using System.Collections.Immutable;
using Atlas.Grains.Rides.Events;
using Orleans.Concurrency;

namespace Atlas.Grains.LiveFeed;

/// <summary>
/// What the platform's streams carried over a short interval, pushed to every live-feed subscriber (the dispatcher
/// console of each API process): ride events and driver positions, each list in the order they arrived.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.LiveFeedBatch")]
public sealed record LiveFeedBatch(
    [property: Id(0)] IReadOnlyList<RideEventMessage> RideEvents,
    [property: Id(1)] IReadOnlyList<DriverLocationMessage> Positions);

/// <summary>
/// A live-feed subscriber: an object in an API process (a cluster client or the embedded silo's host) that Orleans
/// calls back (<c>IGrainFactory.CreateObjectReference</c>). One-way: a slow or vanished subscriber holds back no relay.
/// </summary>
public interface ILiveFeedObserver : IGrainObserver
{
    [OneWay]
    Task OnLiveFeed(LiveFeedBatch batch);
}

/// <summary>
/// The list of live-feed subscribers (one grain, key <see cref="Key"/>). A subscription is a lease: subscribers renew it
/// (<see cref="LiveFeedOptions.SubscriptionLease"/>), so one that died without unsubscribing drops out by itself, and a
/// hub that lost its list (its silo died) has it back after one renewal.
/// </summary>
public interface ILiveFeedHubGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Adds or renews <paramref name="observer"/> until <paramref name="lease"/> from now.</summary>
    Task Subscribe(ILiveFeedObserver observer, TimeSpan lease);

    Task Unsubscribe(ILiveFeedObserver observer);

    /// <summary>The subscribers whose lease runs.</summary>
    [AlwaysInterleave]
    Task<ImmutableArray<ILiveFeedObserver>> GetSubscribers();
}
