namespace Atlas.Infrastructure.Streams;

/// <summary>
/// Where ride events and driver positions go in Redis, how much each stream keeps, and how positions are buffered.
/// Shared by the sinks (<c>AddRedisRideEvents</c>) and the consumers (<c>AddRideHistoryProjector</c>): both sides of a
/// deployment must agree on <see cref="KeyPrefix"/> and the partition counts.
/// </summary>
public sealed class RideStreamOptions
{
    /// <summary>
    /// Prefix of every stream key (default <c>atlas:</c>): ride events go to <c>{KeyPrefix}rides:{p}</c>, positions to
    /// <c>{KeyPrefix}locations:{p}</c>, dead letters to <c>{stream}:dead</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "atlas:";

    /// <summary>
    /// Ride event streams (default 8). A ride's events always go to the same one (a stable hash of the ride id), so they
    /// stay in order. Changing it moves rides to other partitions: drain the streams first.
    /// </summary>
    public int RidePartitions { get; set; } = 8;

    /// <summary>Position streams (default 8), chosen by a stable hash of the driver id.</summary>
    public int LocationPartitions { get; set; } = 8;

    /// <summary>
    /// Approximate length each ride stream is trimmed to (<c>XADD … MAXLEN ~</c>; default 100 000). The stream is a buffer
    /// in front of the consumers, not the archive (PostgreSQL is): it must hold what consumers may lag behind.
    /// </summary>
    public long RideStreamMaxLength { get; set; } = 100_000;

    /// <summary>Approximate length each position stream is trimmed to (default 100 000).</summary>
    public long LocationStreamMaxLength { get; set; } = 100_000;

    /// <summary>Approximate length each dead-letter stream is trimmed to (default 10 000).</summary>
    public long DeadLetterMaxLength { get; set; } = 10_000;

    /// <summary>How long one Redis call may take before it fails as unavailable (default 5 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long connecting may take when the streams open their own connection (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Positions buffered in memory before new ones are dropped (default 50 000).</summary>
    public int LocationBufferCapacity { get; set; } = 50_000;

    /// <summary>How long a position may wait in the buffer before it is written (default 100 ms).</summary>
    public TimeSpan LocationFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Positions written in one pipelined round trip; a full batch is written without waiting (default 1 000).</summary>
    public int LocationBatchSize { get; set; } = 1_000;

    /// <summary>Pause after a failed position write before the next one (default 1 s); the buffer absorbs or drops meanwhile.</summary>
    public TimeSpan LocationRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The ride event stream of partition <paramref name="partition"/>.</summary>
    public string RideStream(int partition) => $"{KeyPrefix}rides:{partition}";

    /// <summary>The position stream of partition <paramref name="partition"/>.</summary>
    public string LocationStream(int partition) => $"{KeyPrefix}locations:{partition}";

    /// <summary>Every ride event stream, partition 0 first.</summary>
    public IReadOnlyList<string> RideStreams() => Enumerable.Range(0, RidePartitions).Select(RideStream).ToArray();

    /// <summary>Every position stream, partition 0 first.</summary>
    public IReadOnlyList<string> LocationStreams() => Enumerable.Range(0, LocationPartitions).Select(LocationStream).ToArray();

    /// <summary>The ride event stream of <paramref name="rideId"/>.</summary>
    public string RideStreamOf(string rideId) => RideStream(StreamPartitioner.PartitionOf(rideId, RidePartitions));

    /// <summary>The position stream of <paramref name="driverId"/>.</summary>
    public string LocationStreamOf(string driverId) => LocationStream(StreamPartitioner.PartitionOf(driverId, LocationPartitions));

    /// <summary>The dead-letter stream of <paramref name="stream"/>.</summary>
    public static string DeadLetterStreamOf(string stream) => $"{stream}:dead";

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(KeyPrefix, nameof(KeyPrefix));
        ArgumentOutOfRangeException.ThrowIfLessThan(RidePartitions, 1, nameof(RidePartitions));
        ArgumentOutOfRangeException.ThrowIfLessThan(LocationPartitions, 1, nameof(LocationPartitions));
        ArgumentOutOfRangeException.ThrowIfLessThan(RideStreamMaxLength, 1, nameof(RideStreamMaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(LocationStreamMaxLength, 1, nameof(LocationStreamMaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(DeadLetterMaxLength, 1, nameof(DeadLetterMaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(LocationBufferCapacity, 1, nameof(LocationBufferCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(LocationBatchSize, 1, nameof(LocationBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(OperationTimeout, TimeSpan.Zero, nameof(OperationTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LocationFlushInterval, TimeSpan.Zero, nameof(LocationFlushInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(LocationRetryDelay, TimeSpan.Zero, nameof(LocationRetryDelay));
    }
}
