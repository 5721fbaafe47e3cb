using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;

namespace Atlas.Hosting.Streams.Redis;

/// <summary>
/// What one <c>XADD</c> carries (field <c>data</c>, in Orleans' binary format: the same [Id]-numbered, version-tolerant
/// contract as the wire): the events of one producer call, in order, with their stream and request context.
/// </summary>
[GenerateSerializer, Alias("atlas.RedisQueuePayload")]
public sealed class RedisQueuePayload
{
    [Id(0)]
    public StreamId StreamId { get; init; }

    [Id(1)]
    public List<object> Events { get; init; } = [];

    [Id(2)]
    public Dictionary<string, object>? RequestContext { get; init; }
}

/// <summary>
/// A read entry as the pulling agent sees it: the payload, the entry's id (acknowledged once the cache lets it go,
/// i.e. once every consumer has it) and a sequence token made from the id, so tokens grow with the stream whichever
/// silo reads it. Serializable: the agent sends it to consumers on other silos.
/// </summary>
[GenerateSerializer, Alias("atlas.RedisQueueBatch")]
public sealed class RedisQueueBatch : IBatchContainer
{
    [Id(0)]
    private readonly RedisQueuePayload _payload;

    [Id(1)]
    private readonly EventSequenceTokenV2 _token;

    [Id(2)]
    private readonly string _entryId;

    internal RedisQueueBatch(RedisValue entryId, RedisQueuePayload payload)
    {
        _entryId = entryId.ToString();
        _payload = payload;
        _token = new EventSequenceTokenV2(TokenOf(entryId));
    }

    /// <summary>The Redis stream entry this batch was read from.</summary>
    public RedisValue EntryId => _entryId;

    public StreamId StreamId => _payload.StreamId;

    public StreamSequenceToken SequenceToken => _token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        _payload.Events.Select((e, i) => (e, i)).Where(x => x.e is T)
            .Select(x => Tuple.Create((T)x.e, (StreamSequenceToken)_token.CreateSequenceTokenForEvent(x.i)));

    public bool ImportRequestContext()
    {
        if (_payload.RequestContext is { Count: > 0 } context)
        {
            RequestContextExtensions.Import(context);
            return true;
        }
        return false;
    }

    /// <summary>
    /// <c>{milliseconds}-{sequence}</c> as one number that orders like the ids: milliseconds × 10⁶ + sequence (Redis
    /// numbers entries within a millisecond from 0; a million in one millisecond is beyond one stream's reach).
    /// </summary>
    internal static long TokenOf(RedisValue entryId)
    {
        var id = entryId.ToString();
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && long.TryParse(id.AsSpan(0, dash), out var milliseconds) && long.TryParse(id.AsSpan(dash + 1), out var sequence)
            ? checked(milliseconds * 1_000_000 + Math.Min(sequence, 999_999))
            : throw new FormatException($"'{id}' is not a Redis stream entry id.");
    }

    public override string ToString() => $"[RedisQueueBatch {StreamId} {EntryId}]";
}
