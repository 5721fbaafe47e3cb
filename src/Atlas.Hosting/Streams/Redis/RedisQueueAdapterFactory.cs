using Atlas.Grains.Streams;
using Atlas.Infrastructure.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;
using StackExchange.Redis;

namespace Atlas.Hosting.Streams.Redis;

/// <summary>
/// Atlas' persistent stream provider over Redis Streams, plugged into Orleans' pulling agents
/// (<see cref="IQueueAdapterFactory"/>, <see cref="IQueueAdapter"/>): Orleans streams hash to <see cref="RedisStreamsProviderOptions.Queues"/>
/// queues, each one Redis stream (<c>{KeyPrefix}{queue}</c>). Producing is one <c>XADD … MAXLEN ~</c> per producer call,
/// acknowledged when Redis has the entry. Each queue is read by the silo the queue balancer gives it to, through
/// <see cref="RedisQueueReceiver"/>: a consumer group, entries acknowledged only after every consumer has them, a dead
/// silo's unacknowledged entries taken over by the silo that inherits the queue, unreadable entries dead-lettered.
/// </summary>
public sealed class RedisQueueAdapterFactory : IQueueAdapterFactory, IQueueAdapter
{
    private readonly RedisStreamsProviderOptions _options;
    private readonly RedisConnection _redis;
    private readonly Serializer<RedisQueuePayload> _serializer;
    private readonly ILoggerFactory _loggerFactory;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly RedisQueueAdapterCache _cache;
    private readonly IStreamFailureHandler _failureHandler;

    public RedisQueueAdapterFactory(string name, RedisStreamsProviderOptions options, RedisConnection redis, Serializer<RedisQueuePayload> serializer,
        ILoggerFactory loggerFactory)
    {
        Name = name;
        _options = options;
        _redis = redis;
        _serializer = serializer;
        _loggerFactory = loggerFactory;
        _mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = options.Queues }, name);
        _cache = new RedisQueueAdapterCache(options.CacheSize, loggerFactory);
        _failureHandler = new StreamDeliveryFailureHandler(name, loggerFactory.CreateLogger<StreamDeliveryFailureHandler>());
    }

    /// <summary>Orleans' factory delegate for <c>AddPersistentStreams</c>: the options named after the provider.</summary>
    public static RedisQueueAdapterFactory Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<RedisStreamsProviderOptions>>().Get(name);
        var clusterOptions = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        options.KeyPrefix ??= $"atlas:{clusterOptions.ServiceId}:streams:";
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var shared = services.GetService<IConnectionMultiplexer>();
        var redis = shared is not null
            ? new RedisConnection(shared, options.OperationTimeout, "streams", loggerFactory.CreateLogger<RedisQueueAdapterFactory>())
            : new RedisConnection(options.ConnectionString, options.ConnectTimeout, options.OperationTimeout, "streams",
                loggerFactory.CreateLogger<RedisQueueAdapterFactory>());
        return new RedisQueueAdapterFactory(name, options, redis, services.GetRequiredService<Serializer<RedisQueuePayload>>(), loggerFactory);
    }

    public string Name { get; }

    /// <summary>Not rewindable: a consumer cannot ask for events before what the queue still holds unacknowledged.</summary>
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    /// <summary>The Redis stream of <paramref name="queue"/>.</summary>
    public string KeyOf(QueueId queue) => $"{_options.KeyPrefix}{queue.GetNumericId()}";

    /// <summary>The Redis stream <paramref name="streamId"/>'s events go to.</summary>
    public string KeyOf(StreamId streamId) => KeyOf(_mapper.GetQueueForStream(streamId));

    /// <summary>Every queue's Redis stream.</summary>
    public IReadOnlyList<string> Keys => _mapper.GetAllQueues().Select(KeyOf).ToArray();

    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult(_failureHandler);

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException("The Redis stream provider does not take producer sequence tokens: Redis numbers the entries.", nameof(token));
        }
        var payload = new RedisQueuePayload
        {
            StreamId = streamId,
            Events = events.Cast<object>().ToList(),
            RequestContext = requestContext is { Count: > 0 } ? requestContext : null,
        };
        if (payload.Events.Count == 0)
        {
            return;
        }
        var key = KeyOf(streamId);
        NameValueEntry[] fields = [new(RedisQueueEntries.StreamField, streamId.ToString()), new(RedisQueueEntries.DataField, _serializer.SerializeToArray(payload))];
        await _redis.RunAsync(db => db.StreamAddAsync(key, fields, maxLength: _options.MaxLength, useApproximateMaxLength: true),
            cause => new StreamUnavailableException($"Redis could not take an event of stream {streamId} ({_redis.Where}, {key}): {cause.Message}", cause))
            .ConfigureAwait(false);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) =>
        new RedisQueueReceiver(queueId, KeyOf(queueId), _options, _redis, _serializer, _loggerFactory.CreateLogger<RedisQueueReceiver>());
}

/// <summary>The fields of a queue entry and of a dead letter.</summary>
public static class RedisQueueEntries
{
    /// <summary>The Orleans stream (for people reading the stream; the payload carries it too).</summary>
    public const string StreamField = "stream";

    /// <summary>The payload (<see cref="RedisQueuePayload"/>).</summary>
    public const string DataField = "data";

    /// <summary>Dead letters: why the entry was set aside.</summary>
    public const string ReasonField = "reason";

    /// <summary>Dead letters: the entry's id in its queue.</summary>
    public const string EntryIdField = "entry";

    /// <summary>The dead-letter stream of a queue stream.</summary>
    public static string DeadLetterKeyOf(string queueKey) => $"{queueKey}:dead";
}

/// <summary>Redis could not take or serve a stream call (down, unreachable, too slow). The producer retries (the ride's outbox).</summary>
[GenerateSerializer, Alias("atlas.StreamUnavailableException")]
public sealed class StreamUnavailableException : Exception
{
    public StreamUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>Logs and counts an event the pulling agent gave up delivering (after <see cref="AtlasStreamsOptions.MaxEventDeliveryTime"/>).</summary>
public sealed partial class StreamDeliveryFailureHandler(string provider, ILogger<StreamDeliveryFailureHandler> logger) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamId, StreamSequenceToken? sequenceToken)
    {
        StreamMetrics.DeadLettered.Add(1, new KeyValuePair<string, object?>("source", "delivery"), new KeyValuePair<string, object?>("reason", "delivery_time_exceeded"));
        LogDeliveryFailed(provider, streamId, sequenceToken);
        return Task.CompletedTask;
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamId, StreamSequenceToken? sequenceToken)
    {
        LogSubscriptionFailed(provider, streamId, sequenceToken);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Error, "Stream provider {Provider}: gave up delivering stream {StreamId} at {Token} after the maximum delivery time")]
    private partial void LogDeliveryFailed(string provider, StreamId streamId, StreamSequenceToken? token);

    [LoggerMessage(LogLevel.Error, "Stream provider {Provider}: subscription to stream {StreamId} failed at {Token}")]
    private partial void LogSubscriptionFailed(string provider, StreamId streamId, StreamSequenceToken? token);
}
