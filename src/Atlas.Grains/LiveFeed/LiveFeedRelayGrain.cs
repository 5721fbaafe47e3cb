using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Atlas.Grains.LiveFeed;

/// <summary>
/// See <see cref="ILiveFeedRelayGrain"/>. Events wait at most <see cref="LiveFeedOptions.FlushInterval"/>; the subscriber
/// list is read from the hub when the cached one is older than <see cref="LiveFeedOptions.SubscriberRefresh"/>, or
/// empty (so the first subscriber hears the very next events). Without subscribers the events are dropped.
/// </summary>
[StatelessWorker]
public sealed partial class LiveFeedRelayGrain(IOptions<LiveFeedOptions> options, TimeProvider time, ILogger<LiveFeedRelayGrain> logger)
    : Grain, ILiveFeedRelayGrain
{
    private readonly LiveFeedOptions _options = options.Value;
    private List<RideEventMessage> _rides = [];
    private List<DriverLocationMessage> _positions = [];
    private IGrainTimer? _flushTimer;
    private ImmutableArray<ILiveFeedObserver> _subscribers = [];
    private DateTimeOffset _subscribersReadAt = DateTimeOffset.MinValue;

    public Task RideEvents(IReadOnlyList<RideEventMessage> events)
    {
        if (Room(events.Count))
        {
            _rides.AddRange(events);
            ArmFlush();
        }
        return Task.CompletedTask;
    }

    public Task Positions(IReadOnlyList<DriverLocationMessage> positions)
    {
        if (Room(positions.Count))
        {
            _positions.AddRange(positions);
            ArmFlush();
        }
        return Task.CompletedTask;
    }

    private bool Room(int count)
    {
        if (_rides.Count + _positions.Count + count <= _options.MaxBuffered)
        {
            return true;
        }
        LiveFeedMetrics.Dropped.Add(count, new KeyValuePair<string, object?>("reason", "buffer-full"));
        return false;
    }

    private void ArmFlush() =>
        _flushTimer ??= this.RegisterGrainTimer(static grain => grain.FlushAsync(), this, new GrainTimerCreationOptions(_options.FlushInterval, Timeout.InfiniteTimeSpan));

    private async Task FlushAsync()
    {
        _flushTimer?.Dispose();
        _flushTimer = null;
        if (_rides.Count == 0 && _positions.Count == 0)
        {
            return;
        }
        var batch = new LiveFeedBatch(_rides, _positions);
        _rides = [];
        _positions = [];
        var subscribers = await SubscribersAsync();
        if (subscribers.IsEmpty)
        {
            LiveFeedMetrics.Dropped.Add(batch.RideEvents.Count + batch.Positions.Count, new KeyValuePair<string, object?>("reason", "no-subscriber"));
            return;
        }
        foreach (var subscriber in subscribers)
        {
            // One-way: returns at once; a subscriber that is gone costs a failed send and nothing else.
            _ = subscriber.OnLiveFeed(batch);
        }
        LiveFeedMetrics.Relayed.Add(batch.RideEvents.Count + batch.Positions.Count);
    }

    private async Task<ImmutableArray<ILiveFeedObserver>> SubscribersAsync()
    {
        var now = time.GetUtcNow();
        if (!_subscribers.IsEmpty && now - _subscribersReadAt < _options.SubscriberRefresh)
        {
            return _subscribers;
        }
        try
        {
            _subscribers = await GrainFactory.GetGrain<ILiveFeedHubGrain>(ILiveFeedHubGrain.Key).GetSubscribers();
            _subscribersReadAt = now;
        }
        catch (Exception exception)
        {
            // The hub's silo is gone or busy: keep pushing to the subscribers known, and ask again next time.
            LogHubUnavailable(exception);
        }
        return _subscribers;
    }

    [LoggerMessage(LogLevel.Debug, "Live feed: the subscriber list could not be read; the last one known is used")]
    private partial void LogHubUnavailable(Exception exception);
}

/// <summary>The live feed's counters (meter <c>Atlas.LiveFeed</c>).</summary>
public static class LiveFeedMetrics
{
    public const string MeterName = "Atlas.LiveFeed";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Events pushed to the subscribers (each batch counted once, however many subscribers).</summary>
    public static readonly Counter<long> Relayed = Meter.CreateCounter<long>("atlas.live_feed.relayed", "{event}", "Events relayed to live-feed subscribers");

    /// <summary>Events dropped, by reason: <c>no-subscriber</c>, <c>buffer-full</c>.</summary>
    public static readonly Counter<long> Dropped = Meter.CreateCounter<long>("atlas.live_feed.dropped", "{event}", "Events the live feed dropped");
}
