using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace Atlas.Hosting.Streams.Redis;

/// <summary>
/// Orleans' <see cref="SimpleQueueCache"/> with one rule added before it may let batches go (and the receiver
/// acknowledge them): every stream in the cache has a cursor. The simple cache purges from its oldest end every bucket
/// no cursor stands in; a batch of a stream the pulling agent has only just met — its consumers still being looked up —
/// has no cursor yet, and was purged (and acknowledged) undelivered when every other stream's cursor stood further on.
/// A stream that gets no cursor within <see cref="AwaitCursorFor"/> (nobody subscribes to it) stops holding purges back.
/// </summary>
internal sealed partial class RedisQueueCache(SimpleQueueCache inner, ILogger logger) : IQueueCache
{
    private static readonly TimeSpan AwaitCursorFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ForgetCursorAfter = TimeSpan.FromMinutes(10);

    private readonly object _lock = new();
    private readonly Dictionary<StreamId, DateTime> _withCursor = [];
    private readonly Dictionary<StreamId, DateTime> _awaitingCursor = [];
    private DateTime _nextForget = DateTime.UtcNow + ForgetCursorAfter;

    public int GetMaxAddCount() => inner.GetMaxAddCount();

    public bool IsUnderPressure() => inner.IsUnderPressure();

    public void AddToCache(IList<IBatchContainer> messages)
    {
        var now = DateTime.UtcNow;
        lock (_lock)
        {
            foreach (var message in messages)
            {
                if (_withCursor.ContainsKey(message.StreamId))
                {
                    _withCursor[message.StreamId] = now;
                }
                else
                {
                    _awaitingCursor.TryAdd(message.StreamId, now);
                }
            }
        }
        inner.AddToCache(messages);
    }

    [Obsolete("Orleans asks TryGetCacheCursor; kept because the interface requires it.")]
    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        var cursor = ((IQueueCache)inner).GetCacheCursor(streamId, token!);
        CursorCreated(streamId);
        return cursor;
    }

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        var result = ((IQueueCache)inner).TryGetCacheCursor(streamId, token!);
        CursorCreated(streamId);
        return result;
    }

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursorAtPosition(StreamId streamId, StreamSubscriptionStartPosition position)
    {
        var result = ((IQueueCache)inner).TryGetCacheCursorAtPosition(streamId, position);
        CursorCreated(streamId);
        return result;
    }

    public void UpdateDeliveryProgress(StreamSequenceToken? earliestSubscriptionToken, DateTime utcNow) =>
        ((IQueueCache)inner).UpdateDeliveryProgress(earliestSubscriptionToken, utcNow);

    private void CursorCreated(StreamId streamId)
    {
        lock (_lock)
        {
            _withCursor[streamId] = DateTime.UtcNow;
            _awaitingCursor.Remove(streamId);
        }
    }

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        var now = DateTime.UtcNow;
        lock (_lock)
        {
            foreach (var (stream, since) in _awaitingCursor.Where(a => now - a.Value > AwaitCursorFor).ToArray())
            {
                _awaitingCursor.Remove(stream);
                LogNoCursor(logger, stream, now - since);
            }
            if (_awaitingCursor.Count > 0)
            {
                purgedItems = [];
                return false;
            }
            if (now >= _nextForget)
            {
                // Streams idle this long have usually lost their cursors too; a late batch of one only waits for AwaitCursorFor.
                foreach (var stream in _withCursor.Where(w => now - w.Value > ForgetCursorAfter).Select(w => w.Key).ToArray())
                {
                    _withCursor.Remove(stream);
                }
                _nextForget = now + ForgetCursorAfter;
            }
        }
        var purged = inner.TryPurgeFromCache(out var items);
        purgedItems = items ?? [];
        return purged;
    }

    [LoggerMessage(LogLevel.Warning, "Stream {StreamId} got no consumer cursor within {Waited}; its batches no longer hold back acknowledgements")]
    private static partial void LogNoCursor(ILogger logger, StreamId streamId, TimeSpan waited);
}

/// <summary>Creates a <see cref="RedisQueueCache"/> per queue.</summary>
internal sealed class RedisQueueAdapterCache(int cacheSize, ILoggerFactory loggerFactory) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) =>
        new RedisQueueCache(new SimpleQueueCache(cacheSize, loggerFactory.CreateLogger($"{typeof(SimpleQueueCache).FullName}.{queueId}")),
            loggerFactory.CreateLogger<RedisQueueCache>());
}
