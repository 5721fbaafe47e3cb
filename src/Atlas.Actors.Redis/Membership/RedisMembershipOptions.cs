namespace Atlas.Actors.Redis;

/// <summary>Where and how the Redis membership table is kept.</summary>
public sealed class RedisMembershipOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>127.0.0.1:6379,password=…</c>); default <c>127.0.0.1:6379</c>.
    /// Ignored when the table is given a shared <c>IConnectionMultiplexer</c>. <c>abortConnect</c> is always forced off
    /// so that a Redis that is down at start-up, or later, is reconnected to in the background.
    /// </summary>
    public string ConnectionString { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of the table's key, which is <c>{KeyPrefix}{ClusterId}:membership</c> (default <c>atlas:</c>).</summary>
    public string KeyPrefix { get; set; } = "atlas:";

    /// <summary>The cluster whose table this is (default: the silo's or client's cluster id).</summary>
    public string? ClusterId { get; set; }

    /// <summary>How long the first connection attempt may take before calls fail as unavailable (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one table operation may take before it fails as unavailable (default 5 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Redis key of the table of <paramref name="clusterId"/>.</summary>
    public string KeyFor(string clusterId) => $"{KeyPrefix}{clusterId}:membership";

    /// <summary>A copy for <paramref name="clusterId"/>, unless a cluster id was set explicitly.</summary>
    internal RedisMembershipOptions ForCluster(string clusterId)
    {
        var copy = (RedisMembershipOptions)MemberwiseClone();
        copy.ClusterId ??= clusterId;
        return copy;
    }
}
