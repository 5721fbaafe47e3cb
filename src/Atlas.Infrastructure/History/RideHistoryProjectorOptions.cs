using Atlas.Infrastructure.Streams;

namespace Atlas.Infrastructure.History;

/// <summary>How the ride history projector consumes the streams.</summary>
public sealed class RideHistoryProjectorOptions
{
    /// <summary>The consumer group of the projector (default <c>projector</c>): every projector process shares it, so each entry is projected by one of them.</summary>
    public string Group { get; set; } = "projector";

    /// <summary>
    /// This process's consumer name (default: the silo's name when the process hosts a silo, else
    /// <c>{machine}-{process id}</c>). Keep it stable across restarts, so that a restarted projector first finishes
    /// what it had read.
    /// </summary>
    public string? ConsumerName { get; set; }

    /// <summary>Whether driver positions are projected into <c>driver_locations</c> too (default true).</summary>
    public bool ProjectLocations { get; set; } = true;

    /// <summary>Batching, take-over and poison settings of both consumers (the group and name above replace theirs).</summary>
    public RedisStreamConsumerOptions Consumer { get; } = new();
}
