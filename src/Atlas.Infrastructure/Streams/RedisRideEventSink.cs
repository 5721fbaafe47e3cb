using Atlas.Grains.Rides.Events;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// Appends ride events to the ride streams: each event to the partition of its ride
/// (<see cref="RideStreamOptions.RideStreamOf"/>), by <c>XADD … MAXLEN ~ {RideStreamMaxLength} * type ride-event v 1
/// data {json}</c> (StackExchange.Redis' <c>StreamAddAsync</c>). All events of one call go in one pipelined batch (one round trip), in order, so a ride's events are
/// in its partition in sequence order. A call that fails (Redis down or too slow) throws
/// <see cref="StreamUnavailableException"/>; some of its events may have been appended — the ride publishes them
/// again and consumers drop duplicates by (ride, sequence).
/// </summary>
public sealed class RedisRideEventSink : IRideEventSink
{
    private readonly RedisStreamConnection _connection;
    private readonly RideStreamOptions _options;

    public RedisRideEventSink(RedisStreamConnection connection, RideStreamOptions options)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    public async Task PublishAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }
        var appends = new (RedisKey Stream, NameValueEntry[] Fields)[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var message = events[i] ?? throw new ArgumentException("An event is null.", nameof(events));
            appends[i] = (_options.RideStreamOf(message.RideId), RideStreamEntries.Fields(message));
        }
        await _connection.RunAsync(Describe(events), async database =>
        {
            var batch = database.CreateBatch();
            var pending = new Task<RedisValue>[appends.Length];
            for (var i = 0; i < appends.Length; i++)
            {
                pending[i] = RideStreamEntries.AppendAsync(batch, appends[i].Stream, _options.RideStreamMaxLength, appends[i].Fields);
            }
            batch.Execute();
            await Task.WhenAll(pending).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        StreamMetrics.RideEventsAppended.Add(events.Count);
    }

    private string Describe(IReadOnlyList<RideEventMessage> events)
    {
        var first = events[0];
        return events.All(e => e.RideId == first.RideId)
            ? $"appending {events.Count} event(s) of ride {first.RideId} (from sequence {first.Sequence}) to {_options.RideStreamOf(first.RideId)}"
            : $"appending {events.Count} events of {events.Select(e => e.RideId).Distinct().Count()} rides";
    }
}
