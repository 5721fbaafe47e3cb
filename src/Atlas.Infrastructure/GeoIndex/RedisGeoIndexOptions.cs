namespace Atlas.Infrastructure.GeoIndex;

/// <summary>Where and how the driver geo index is kept in Redis (section <c>GeoIndex:Redis</c>).</summary>
public sealed class RedisGeoIndexOptions
{
    public const string SectionName = "GeoIndex:Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>127.0.0.1:6379,password=…</c>); default <c>127.0.0.1:6379</c>.
    /// Ignored when an <c>IConnectionMultiplexer</c> is registered. <c>abortConnect</c> is always forced off so that a
    /// Redis that is down at start-up, or later, is reconnected to in the background.
    /// </summary>
    public string ConnectionString { get; set; } = "127.0.0.1:6379";

    /// <summary>
    /// Prefix of every key (default <c>atlas:geo:</c>). A shard's keys are <c>{prefix}{{shard}}</c>,
    /// <c>{prefix}{{shard}}:seen</c> and <c>{prefix}{{shard}}:at</c>; the braces make them one Redis Cluster hash slot.
    /// </summary>
    public string KeyPrefix { get; set; } = "atlas:geo:";

    /// <summary>How long the first connection attempt may take before calls fail as unavailable (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one load or write may take before it fails as unavailable (default 5 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// At most this many stale entries are removed by one write (default 1,000), so that a write never holds Redis for
    /// long; a shard's load removes all of them.
    /// </summary>
    public int SweepLimit { get; set; } = 1_000;
}
