using Atlas.Grains.Geo.Index;

namespace Atlas.Infrastructure.GeoIndex;

/// <summary>
/// The Redis geo index store could not be reached (down, unreachable or timed out). A shard that cannot load fails its
/// activation with this error, so the search that needed it fails and may be retried; a shard whose write fails keeps
/// the batch and writes it at a later flush. An HTTP edge maps it to 503.
/// </summary>
[GenerateSerializer, Alias("atlas.GeoIndexStoreUnavailableException")]
public sealed class GeoIndexStoreUnavailableException : Exception
{
    public GeoIndexStoreUnavailableException(string message, string shard, Exception? inner = null) : base(message, inner)
    {
        Shard = shard;
    }

    /// <summary>The index shard whose operation failed (see <see cref="GeoIndexShards"/>).</summary>
    [Id(0)]
    public string Shard { get; }
}
