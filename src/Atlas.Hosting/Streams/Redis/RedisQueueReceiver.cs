using Atlas.Grains.Streams;
using Atlas.Infrastructure.Redis;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Streams;
using StackExchange.Redis;

namespace Atlas.Hosting.Streams.Redis;

/// <summary>
/// Reads one queue (one Redis stream) for the silo that holds it, as consumer <c>queue-{n}</c> of the provider's group:
/// <list type="bullet">
/// <item>The consumer is named after the queue, not the silo: when a silo dies, the silo that inherits its queue reads
///   as the same consumer, and its first reads (<c>XREADGROUP … 0</c>) are the entries the dead silo had read and not
///   acknowledged. Nothing waits for an idle timeout, and no two silos claim the same entries.</item>
/// <item>New entries come with <c>XREADGROUP … &gt;</c>; they are acknowledged (<c>XACK</c>) when the pulling agent's
///   cache lets them go, i.e. after every consumer of their stream returned from them. An acknowledgement Redis
///   refuses is kept and sent again with the next read.</item>
/// <item>An entry whose payload cannot be read (not Orleans' format, a type this silo does not know, a field missing)
///   is copied to <c>{queue}:dead</c> with the reason and acknowledged: it is never retried and holds nothing back.</item>
/// <item>Redis down: reads return nothing (logged once when it starts and once when it ends); the agent polls again.
///   A group Redis lost (a restart without persistence) is created again from the start of the stream.</item>
/// </list>
/// </summary>
public sealed partial class RedisQueueReceiver : IQueueAdapterReceiver
{
    private readonly QueueId _queue;
    private readonly string _key;
    private readonly string _deadKey;
    private readonly RedisStreamsProviderOptions _options;
    private readonly RedisConnection _redis;
    private readonly Serializer<RedisQueuePayload> _serializer;
    private readonly ILogger _logger;
    private readonly string _consumer;
    private readonly List<RedisValue> _unacknowledged = [];
    private bool _groupReady;
    private bool _readingPending = true;
    private RedisValue _pendingCursor = "0";
    private DateTime? _outageSince;

    internal RedisQueueReceiver(QueueId queue, string key, RedisStreamsProviderOptions options, RedisConnection redis, Serializer<RedisQueuePayload> serializer,
        ILogger<RedisQueueReceiver> logger)
    {
        _queue = queue;
        _key = key;
        _deadKey = RedisQueueEntries.DeadLetterKeyOf(key);
        _options = options;
        _redis = redis;
        _serializer = serializer;
        _logger = logger;
        _consumer = $"queue-{queue.GetNumericId()}";
    }

    public async Task Initialize(TimeSpan timeout)
    {
        try
        {
            await EnsureGroupAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception exception) when (RedisConnection.IsUnavailable(exception) || exception is StreamUnavailableException)
        {
            // Reads create the group once Redis is back.
            RedisFailed(exception);
        }
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        var count = maxCount > 0 ? Math.Min(maxCount, _options.ReadCount) : _options.ReadCount;
        try
        {
            await AcknowledgeAsync().ConfigureAwait(false);
            await EnsureGroupAsync().ConfigureAwait(false);
            var db = await _redis.DatabaseAsync().ConfigureAwait(false);
            var position = _readingPending ? _pendingCursor : StackExchange.Redis.StreamPosition.NewMessages;
            var entries = await db.StreamReadGroupAsync(_key, _options.Group, _consumer, position, count).ConfigureAwait(false);
            RedisRecovered();
            if (_readingPending)
            {
                if (entries.Length == 0)
                {
                    _readingPending = false;
                    return [];
                }
                _pendingCursor = entries[^1].Id;
                LogTakingOver(_queue.ToString(), entries.Length);
            }
            return await ParseAsync(db, entries).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            LogGroupMissing(_key, _options.Group);
            _groupReady = false;
            _readingPending = true;
            _pendingCursor = "0";
            return [];
        }
        catch (Exception exception) when (RedisConnection.IsUnavailable(exception))
        {
            RedisFailed(exception);
            return [];
        }
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages)
    {
        foreach (var message in messages)
        {
            if (message is RedisQueueBatch batch)
            {
                _unacknowledged.Add(batch.EntryId);
            }
        }
        return AcknowledgeQuietlyAsync();
    }

    public async Task Shutdown(TimeSpan timeout)
    {
        try
        {
            await AcknowledgeAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception exception) when (RedisConnection.IsUnavailable(exception) || exception is TimeoutException)
        {
            // Left pending: the next reader of this queue delivers them again, and consumers drop repeats.
            LogShutdownUnacknowledged(_queue.ToString(), _unacknowledged.Count);
        }
    }

    private async Task<IList<IBatchContainer>> ParseAsync(IDatabase db, StreamEntry[] entries)
    {
        var batches = new List<IBatchContainer>(entries.Length);
        foreach (var entry in entries)
        {
            var reason = TryParse(entry, out var payload);
            if (reason is null)
            {
                batches.Add(new RedisQueueBatch(entry.Id, payload!));
                continue;
            }
            await DeadLetterAsync(db, entry, reason).ConfigureAwait(false);
        }
        return batches;
    }

    private string? TryParse(StreamEntry entry, out RedisQueuePayload? payload)
    {
        payload = null;
        if (entry.IsNull || entry.Values is null || entry.Values.Length == 0)
        {
            return "trimmed: the entry was pending when the stream was trimmed past it";
        }
        var data = entry[RedisQueueEntries.DataField];
        if (data.IsNull)
        {
            return $"the entry has no '{RedisQueueEntries.DataField}' field";
        }
        try
        {
            payload = _serializer.Deserialize((byte[])data!);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return $"the payload cannot be read: {exception.GetType().Name}: {exception.Message}";
        }
        if (payload is null || payload.Events is null || payload.Events.Count == 0)
        {
            return "the payload holds no events";
        }
        return null;
    }

    /// <summary>Copies the entry with the reason to the queue's dead letters, then acknowledges it (in that order: a crash between repeats the copy).</summary>
    private async Task DeadLetterAsync(IDatabase db, StreamEntry entry, string reason)
    {
        var fields = new List<NameValueEntry>
        {
            new(RedisQueueEntries.ReasonField, reason),
            new(RedisQueueEntries.EntryIdField, entry.Id),
        };
        if (entry.Values is { } values)
        {
            fields.AddRange(values);
        }
        await db.StreamAddAsync(_deadKey, [.. fields], maxLength: _options.DeadLetterMaxLength, useApproximateMaxLength: true).ConfigureAwait(false);
        await db.StreamAcknowledgeAsync(_key, _options.Group, entry.Id).ConfigureAwait(false);
        var kind = reason.StartsWith("trimmed", StringComparison.Ordinal) ? "trimmed" : "unreadable";
        StreamMetrics.DeadLettered.Add(1, new KeyValuePair<string, object?>("source", "queue"), new KeyValuePair<string, object?>("reason", kind));
        LogDeadLettered(entry.Id.ToString(), _key, reason);
    }

    private async Task EnsureGroupAsync()
    {
        if (_groupReady)
        {
            return;
        }
        var db = await _redis.DatabaseAsync().ConfigureAwait(false);
        try
        {
            // From the start of the stream: entries appended before any silo read them are part of the work.
            await db.StreamCreateConsumerGroupAsync(_key, _options.Group, StackExchange.Redis.StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another silo (or an earlier start) created it.
        }
        _groupReady = true;
    }

    private async Task AcknowledgeAsync()
    {
        if (_unacknowledged.Count == 0)
        {
            return;
        }
        var ids = _unacknowledged.ToArray();
        var db = await _redis.DatabaseAsync().ConfigureAwait(false);
        await db.StreamAcknowledgeAsync(_key, _options.Group, ids).ConfigureAwait(false);
        _unacknowledged.RemoveRange(0, ids.Length);
    }

    private async Task AcknowledgeQuietlyAsync()
    {
        try
        {
            await AcknowledgeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (RedisConnection.IsUnavailable(exception))
        {
            RedisFailed(exception); // kept, sent again with the next read
        }
    }

    private void RedisFailed(Exception exception)
    {
        if (_outageSince is null)
        {
            _outageSince = DateTime.UtcNow;
            LogRedisDown(_queue.ToString(), _redis.Where, exception.Message);
        }
    }

    private void RedisRecovered()
    {
        if (_outageSince is { } since)
        {
            _outageSince = null;
            LogRedisBack(_queue.ToString(), _redis.Where, DateTime.UtcNow - since);
        }
    }

    [LoggerMessage(LogLevel.Information, "Stream queue {Queue}: taking over {Count} entries read and not acknowledged by its previous reader")]
    private partial void LogTakingOver(string queue, int count);

    [LoggerMessage(LogLevel.Warning, "Stream queue {Queue}: {Where} is unavailable ({Reason}); reading resumes when it is back")]
    private partial void LogRedisDown(string queue, string where, string reason);

    [LoggerMessage(LogLevel.Information, "Stream queue {Queue}: {Where} is back after {Duration}")]
    private partial void LogRedisBack(string queue, string where, TimeSpan duration);

    [LoggerMessage(LogLevel.Warning, "Stream {Key}: consumer group {Group} is missing (Redis lost it); creating it again")]
    private partial void LogGroupMissing(string key, string group);

    [LoggerMessage(LogLevel.Error, "Stream entry {EntryId} of {Key} dead-lettered: {Reason}")]
    private partial void LogDeadLettered(string entryId, string key, string reason);

    [LoggerMessage(LogLevel.Warning, "Stream queue {Queue}: shutting down with {Count} entries unacknowledged; the next reader delivers them again")]
    private partial void LogShutdownUnacknowledged(string queue, int count);
}
