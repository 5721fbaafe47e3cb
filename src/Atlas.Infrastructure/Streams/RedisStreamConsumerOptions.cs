namespace Atlas.Infrastructure.Streams;

/// <summary>How a <see cref="RedisStreamConsumer{T}"/> reads, retries, takes over and gives up on entries.</summary>
public sealed class RedisStreamConsumerOptions
{
    /// <summary>The consumer group (required). Consumers of one group share the entries; each group sees every entry.</summary>
    public string Group { get; set; } = "";

    /// <summary>
    /// This consumer's name in the group (required), stable across restarts of the same process (e.g. the silo name):
    /// a consumer that starts again first handles what it had read and not acknowledged.
    /// </summary>
    public string Consumer { get; set; } = "";

    /// <summary>Entries read per stream in one <c>XREADGROUP</c> (default 500); one read covers every stream of the consumer.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Pause after a read that found nothing new (default 100 ms). Reads do not block on the server: the connection is
    /// the process's shared multiplexer, which a blocking command would stall for every other caller.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// An entry read but not acknowledged for this long is taken over (<c>XAUTOCLAIM</c>) by whichever consumer of the
    /// group looks first (default 30 s): its reader died, hangs, or failed it. Longer than any batch can take to handle.
    /// </summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the consumer looks for entries to take over (default 5 s).</summary>
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An entry whose handler still fails (not transiently) on its <c>MaxDeliveries</c>-th delivery is moved to the
    /// dead-letter stream (default 5). Delivery counts come from the group (<c>XPENDING</c>), so they survive consumers.
    /// </summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>First pause after a failure (Redis or the handler's store unavailable); doubles up to <see cref="MaxBackoff"/> (default 100 ms).</summary>
    public TimeSpan MinBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest pause between retries while something is down (default 5 s).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Other consumers of the group idle this long with nothing pending are removed from it (default 1 h).</summary>
    public TimeSpan ConsumerExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A copy (each consumer keeps its own).</summary>
    public RedisStreamConsumerOptions Clone() => (RedisStreamConsumerOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Group, nameof(Group));
        ArgumentException.ThrowIfNullOrWhiteSpace(Consumer, nameof(Consumer));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDeliveries, 1, nameof(MaxDeliveries));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ClaimIdleTime, TimeSpan.Zero, nameof(ClaimIdleTime));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ClaimInterval, TimeSpan.Zero, nameof(ClaimInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinBackoff, TimeSpan.Zero, nameof(MinBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, MinBackoff, nameof(MaxBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConsumerExpiry, TimeSpan.Zero, nameof(ConsumerExpiry));
    }
}

/// <summary>What a <see cref="RedisStreamConsumer{T}"/> does with the entries it reads.</summary>
public interface IStreamBatchHandler<T>
{
    /// <summary>Reads an entry; throws <see cref="StreamEntryFormatException"/> (the entry goes to the dead letters) if it cannot.</summary>
    T Parse(StreamEntry entry);

    /// <summary>
    /// Handles a batch, all or nothing: the consumer acknowledges the entries only after this returns. It may be given
    /// entries it handled before (delivery is at least once), so it must be idempotent.
    /// </summary>
    Task HandleAsync(IReadOnlyList<StreamMessage<T>> batch, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a failure of <see cref="HandleAsync"/> is the handler's store being unavailable (retried with back-off,
    /// never counted against the entries) rather than something wrong with an entry.
    /// </summary>
    bool IsTransient(Exception exception);
}
