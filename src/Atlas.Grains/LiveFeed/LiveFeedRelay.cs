using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.LiveFeed;

/// <summary>
/// Collects what the streams' consumers on this silo (the ride history's <c>RideHistoryProjectionGrain</c> and
/// <c>DriverPositionProjectionGrain</c>) hand it, and pushes it to every live-feed subscriber in batches, every
/// <see cref="LiveFeedOptions.FlushInterval"/>. A silo-local service rather than a grain: handing it a batch is a method
/// call under a lock, not a message (as a stateless-worker grain it cost the events benchmark a fifth of its
/// throughput). The subscriber list is read from the hub when the cached one is older than
/// <see cref="LiveFeedOptions.SubscriberRefresh"/>, or empty (so the first subscriber hears the very next events).
/// Without subscribers the events are dropped.
/// </summary>
public sealed partial class LiveFeedRelay(IGrainFactory grains, IOptions<LiveFeedOptions> options, TimeProvider time, ILogger<LiveFeedRelay> logger)
    : IDisposable
{
    private readonly LiveFeedOptions _options = options.Value;
    private readonly Lock _lock = new();
    private List<RideEventMessage> _rides = [];
    private List<DriverLocationMessage> _positions = [];
    private ITimer? _flushTimer;
    private ImmutableArray<ILiveFeedObserver> _subscribers = [];
    private DateTimeOffset _subscribersReadAt = DateTimeOffset.MinValue;

    public void RideEvents(IReadOnlyList<RideEventMessage> events)
    {
        lock (_lock)
        {
            if (Room(events.Count))
            {
                _rides.AddRange(events);
                ArmFlush();
            }
        }
    }

    public void Positions(IReadOnlyList<DriverLocationMessage> positions)
    {
        lock (_lock)
        {
            if (Room(positions.Count))
            {
                _positions.AddRange(positions);
                ArmFlush();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
        }
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

    /// <summary>
    /// Under the lock: the first events after a flush start the next one. On the system clock, as Orleans' grain timers
    /// run, whatever clock the domain is given (tests drive theirs by hand).
    /// </summary>
    private void ArmFlush() =>
        _flushTimer ??= TimeProvider.System.CreateTimer(static relay => _ = ((LiveFeedRelay)relay!).FlushAsync(), this, _options.FlushInterval, Timeout.InfiniteTimeSpan);

    private async Task FlushAsync()
    {
        LiveFeedBatch batch;
        lock (_lock)
        {
            _flushTimer?.Dispose();
            _flushTimer = null;
            if (_rides.Count == 0 && _positions.Count == 0)
            {
                return;
            }
            batch = new LiveFeedBatch(_rides, _positions);
            _rides = [];
            _positions = [];
        }
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

    /// <summary>Called by one flush at a time (the next timer is armed only by events after this flush took the buffer).</summary>
    private async Task<ImmutableArray<ILiveFeedObserver>> SubscribersAsync()
    {
        var now = time.GetUtcNow();
        if (!_subscribers.IsEmpty && now - _subscribersReadAt < _options.SubscriberRefresh)
        {
            return _subscribers;
        }
        try
        {
            _subscribers = await grains.GetGrain<ILiveFeedHubGrain>(ILiveFeedHubGrain.Key).GetSubscribers();
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
