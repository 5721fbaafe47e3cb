namespace Atlas.Hosting.Streams.Redis;

/// <summary>
/// The Redis stream provider's options, named after the provider; <c>AddAtlasStreams</c> fills them from
/// <c>ConnectionStrings:Redis</c> and <c>Atlas:Streams</c> (<see cref="AtlasStreamsOptions"/>, whose defaults they share).
/// </summary>
public sealed class RedisStreamsProviderOptions
{
    /// <summary>A StackExchange.Redis configuration string (unused when the process registers an <c>IConnectionMultiplexer</c>).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Prefix of the queue streams' keys; null: <c>atlas:{service id}:streams:</c>.</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>Queues (Redis streams) the Orleans streams hash to.</summary>
    public int Queues { get; set; } = 8;

    /// <summary>Batches each queue's cache holds.</summary>
    public int CacheSize { get; set; } = 4096;

    /// <summary>Approximate length each queue stream is trimmed to.</summary>
    public long MaxLength { get; set; } = 1_000_000;

    /// <summary>Approximate length each dead-letter stream is trimmed to.</summary>
    public long DeadLetterMaxLength { get; set; } = 10_000;

    /// <summary>Entries one read takes from a queue.</summary>
    public int ReadCount { get; set; } = 256;

    /// <summary>How long one Redis call may take before it fails as unavailable.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long connecting may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The consumer group every silo reads the queues with.</summary>
    public string Group { get; set; } = "atlas";
}
