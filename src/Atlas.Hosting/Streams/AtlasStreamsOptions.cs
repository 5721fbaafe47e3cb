namespace Atlas.Hosting.Streams;

/// <summary>
/// The platform's stream provider (section <c>Atlas:Streams</c>). Which transport carries the streams is
/// <see cref="Provider"/>, or else follows the connection strings: <c>EventHubs</c> when <c>ConnectionStrings:EventHubs</c>
/// is set, <c>Redis</c> when <c>ConnectionStrings:Redis</c> is, <c>Memory</c> otherwise.
/// </summary>
public sealed class AtlasStreamsOptions
{
    public const string SectionName = "Atlas:Streams";

    /// <summary><c>Memory</c>, <c>Redis</c> or <c>EventHubs</c>; empty to follow the connection strings.</summary>
    public string? Provider { get; set; }

    /// <summary>
    /// Queues the streams are spread over (default 8; Redis: one Redis stream per queue; memory: one queue grain each).
    /// Each queue is read by one silo at a time; changing it moves streams to other queues: drain the queues first.
    /// Event Hubs takes its partitions as queues instead.
    /// </summary>
    public int Queues { get; set; } = 8;

    /// <summary>
    /// How long the pulling agent keeps delivering an event a consumer fails (default 1 day) before giving up on it.
    /// Consumers fail only while their store is down (a poison event is set aside by the consumer itself), so this
    /// bounds the outage the streams ride out without losing an event; Orleans' own default is one minute.
    /// </summary>
    public TimeSpan MaxEventDeliveryTime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Longest wait between two attempts to deliver an event to a failing consumer (default 5 s; the wait doubles from
    /// 100 ms): how soon after its store returns a consumer catches up.
    /// </summary>
    public TimeSpan MaxDeliveryBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most batches of one stream the pulling agent hands a batch consumer at once (default 16): the ride history's
    /// consumer stores a lagging ride's waiting events in one write.
    /// </summary>
    public int DeliveryBatchSize { get; set; } = 16;

    /// <summary>How long a queue's pulling agent waits after a read that returned nothing (default 50 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Batches each queue's cache holds (default 4 096; Redis provider).</summary>
    public int CacheSize { get; set; } = 4096;

    /// <summary>The Event Hubs provider's settings (<c>Atlas:Streams:EventHubs</c>).</summary>
    public EventHubsStreamsSettings EventHubs { get; set; } = new();

    /// <summary>The Redis provider's settings (<c>Atlas:Streams:Redis</c>).</summary>
    public RedisStreamsSettings Redis { get; set; } = new();
}

/// <summary>Settings of the Event Hubs provider beyond its connection string (<c>ConnectionStrings:EventHubs</c>).</summary>
public sealed class EventHubsStreamsSettings
{
    /// <summary>The event hub (required unless the connection string has an <c>EntityPath</c>).</summary>
    public string? Hub { get; set; }

    /// <summary>The consumer group the silos read with (default <c>$Default</c>).</summary>
    public string ConsumerGroup { get; set; } = "$Default";

    /// <summary>
    /// The Azure table the receivers checkpoint their partitions in (default <c>AtlasStreamCheckpoints</c>), in the
    /// storage account of <c>ConnectionStrings:EventHubsCheckpoints</c> (required: without checkpoints a silo taking
    /// over a partition would start from now and skip what was not delivered).
    /// </summary>
    public string CheckpointTable { get; set; } = "AtlasStreamCheckpoints";

    /// <summary>How often a receiver persists its checkpoint (default 10 s): what a silo's death may deliver again.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Settings of the Redis Streams provider beyond its connection string (<c>ConnectionStrings:Redis</c>).</summary>
public sealed class RedisStreamsSettings
{
    /// <summary>Prefix of the queue streams' keys (default <c>atlas:{service id}:streams:</c>).</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>Approximate length each queue stream is trimmed to (default 1 000 000): what consumers may lag behind.</summary>
    public long MaxLength { get; set; } = 1_000_000;

    /// <summary>Approximate length each dead-letter stream is trimmed to (default 10 000).</summary>
    public long DeadLetterMaxLength { get; set; } = 10_000;

    /// <summary>Entries one read takes from a queue (default 256).</summary>
    public int ReadCount { get; set; } = 256;

    /// <summary>How long one Redis call may take before it fails as unavailable (default 5 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long connecting may take (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
