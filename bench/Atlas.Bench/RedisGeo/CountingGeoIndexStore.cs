using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;

namespace Atlas.Bench.RedisGeo;

/// <summary>Passes the shards' loads and writes to the Redis store, counting the writes and the entries they carry.</summary>
internal sealed class CountingGeoIndexStore(IGeoIndexStore inner) : IGeoIndexStore
{
    private long _writes;
    private long _upserts;
    private long _removals;
    private long _failures;

    public long Writes => Interlocked.Read(ref _writes);

    public long Upserts => Interlocked.Read(ref _upserts);

    public long Removals => Interlocked.Read(ref _removals);

    public long Failures => Interlocked.Read(ref _failures);

    public Task<IReadOnlyList<GeoCandidate>> LoadAsync(string shard, CancellationToken cancellationToken = default) =>
        inner.LoadAsync(shard, cancellationToken);

    public async Task<bool> WriteAsync(string shard, IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals,
        CancellationToken cancellationToken = default)
    {
        bool held;
        try
        {
            held = await inner.WriteAsync(shard, upserts, removals, cancellationToken);
        }
        catch
        {
            Interlocked.Increment(ref _failures);
            throw;
        }
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _upserts, upserts.Count);
        Interlocked.Add(ref _removals, removals.Count);
        return held;
    }
}
