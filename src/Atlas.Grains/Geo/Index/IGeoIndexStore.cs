using System.Collections.Concurrent;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// Where index shards keep their entries so a shard re-activated on another silo can rebuild. Implementations:
/// in-memory (tests, embedded), Redis GEO (production).
/// </summary>
public interface IGeoIndexStore
{
    Task<IReadOnlyList<GeoCandidate>> LoadAsync(string shard, CancellationToken cancellationToken = default);

    /// <summary>Writes a batch of changes to one shard: upserts and removals by id.</summary>
    /// <returns>
    /// Whether the store held entries of the shard before this write. False for a new shard, and for one the store
    /// lost (e.g. a Redis restarted without persistence): a shard that wrote entries before then writes them all again.
    /// </returns>
    Task<bool> WriteAsync(string shard, IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals, CancellationToken cancellationToken = default);
}

/// <summary>An index store in memory, shared by the silos of one process.</summary>
public sealed class InMemoryGeoIndexStore : IGeoIndexStore
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, GeoCandidate>> _shards = new();

    public Task<IReadOnlyList<GeoCandidate>> LoadAsync(string shard, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<GeoCandidate>>(_shards.TryGetValue(shard, out var entries) ? entries.Values.ToArray() : []);

    public Task<bool> WriteAsync(string shard, IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals, CancellationToken cancellationToken = default)
    {
        var entries = _shards.GetOrAdd(shard, _ => new());
        var held = !entries.IsEmpty;
        foreach (var id in removals)
        {
            entries.TryRemove(id, out _);
        }
        foreach (var candidate in upserts)
        {
            entries[candidate.Id] = candidate;
        }
        return Task.FromResult(held);
    }
}
