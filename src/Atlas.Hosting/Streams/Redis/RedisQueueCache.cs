using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace Atlas.Hosting.Streams.Redis;

/// <summary>
/// Orleans' <see cref="SimpleQueueCache"/>, with the batches of a stream the pulling agent has only just met pinned
/// until the agent opens the stream's cursor. The simple cache lets go of (and the receiver then acknowledges) every
/// bucket no cursor stands in, oldest first; a new stream's consumers are still being looked up when its first batch
/// arrives, so it has no cursor yet, and its batch was let go undelivered whenever every other cursor stood further on.
/// A pin is a cursor of the cache itself at the stream's first batch, dropped when the agent's own cursor opens, or
/// after <see cref="PinFor"/> (a stream nobody subscribes to).
/// </summary>
internal sealed partial class RedisQueueCache(SimpleQueueCache inner, ILogger logger) : IQueueCache
{
    private static readonly TimeSpan PinFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ForgetCursorAfter = TimeSpan.FromMinutes(10);

    private readonly IQueueCache _inner = inner;
    private readonly Dictionary<StreamId, DateTime> _withCursor = [];
    private readonly Dictionary<StreamId, (IQueueCacheCursor Pin, DateTime Since)> _pins = [];
    private DateTime _nextForget = DateTime.UtcNow + ForgetCursorAfter;

    public int GetMaxAddCount() => inner.GetMaxAddCount();

    public bool IsUnderPressure() => inner.IsUnderPressure();

    public void AddToCache(IList<IBatchContainer> messages)
    {
        inner.AddToCache(messages);
        var now = DateTime.UtcNow;
        foreach (var message in messages)
        {
            if (_withCursor.ContainsKey(message.StreamId))
            {
                _withCursor[message.StreamId] = now;
            }
            else if (!_pins.ContainsKey(message.StreamId) &&
                     _inner.TryGetCacheCursor(message.StreamId, message.SequenceToken) is { Kind: QueueCacheCursorResultKind.Success, Cursor: { } pin })
            {
                _pins[message.StreamId] = (pin, now);
            }
        }
    }

    [Obsolete("Orleans asks TryGetCacheCursor; kept because the interface requires it.")]
    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        var cursor = _inner.GetCacheCursor(streamId, token!);
        CursorOpened(streamId);
        return cursor;
    }

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        var result = _inner.TryGetCacheCursor(streamId, token!);
        CursorOpened(streamId);
        return result;
    }

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursorAtPosition(StreamId streamId, StreamSubscriptionStartPosition position)
    {
        var result = _inner.TryGetCacheCursorAtPosition(streamId, position);
        CursorOpened(streamId);
        return result;
    }

    public void UpdateDeliveryProgress(StreamSequenceToken? earliestSubscriptionToken, DateTime utcNow) =>
        _inner.UpdateDeliveryProgress(earliestSubscriptionToken, utcNow);

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        var now = DateTime.UtcNow;
        foreach (var (stream, (pin, since)) in _pins.Where(p => now - p.Value.Since > PinFor).ToArray())
        {
            _pins.Remove(stream);
            pin.Dispose();
            LogNoCursor(logger, stream, now - since);
        }
        if (now >= _nextForget)
        {
            // Streams idle this long have usually lost their cursors too; a late batch of one is pinned again.
            foreach (var stream in _withCursor.Where(w => now - w.Value > ForgetCursorAfter).Select(w => w.Key).ToArray())
            {
                _withCursor.Remove(stream);
            }
            _nextForget = now + ForgetCursorAfter;
        }
        var purged = inner.TryPurgeFromCache(out var items);
        purgedItems = items ?? [];
        return purged;
    }

    /// <summary>The agent's cursor now holds the stream's place: the pin can go (after it, so the place is never left open).</summary>
    private void CursorOpened(StreamId streamId)
    {
        _withCursor[streamId] = DateTime.UtcNow;
        if (_pins.Remove(streamId, out var pinned))
        {
            pinned.Pin.Dispose();
        }
    }

    [LoggerMessage(LogLevel.Warning, "Stream {StreamId} got no consumer cursor within {Waited}; its batches are no longer held for it")]
    private static partial void LogNoCursor(ILogger logger, StreamId streamId, TimeSpan waited);
}

/// <summary>Creates a <see cref="RedisQueueCache"/> per queue.</summary>
internal sealed class RedisQueueAdapterCache(int cacheSize, ILoggerFactory loggerFactory) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) =>
        new RedisQueueCache(new SimpleQueueCache(cacheSize, loggerFactory.CreateLogger($"{typeof(SimpleQueueCache).FullName}.{queueId}")),
            loggerFactory.CreateLogger<RedisQueueCache>());
}
