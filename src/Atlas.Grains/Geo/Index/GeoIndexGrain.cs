using System.Collections.Immutable;
using Atlas.Actors;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// One index shard. Queries are answered from memory; changes are written behind to the <see cref="IGeoIndexStore"/>
/// in batches (at least every <see cref="GeoIndexOptions.FlushInterval"/> and on deactivation), and a shard that
/// activates (e.g. on a survivor after a silo died) rebuilds from the store.
/// </summary>
public sealed class GeoIndexGrain(IGeoIndexStore store, IOptions<GeoIndexOptions> options, TimeProvider time) : Grain, IGeoIndexGrain
{
    private readonly Dictionary<string, GeoCandidate> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GeoCandidate?> _pending = new(StringComparer.Ordinal);
    private IGrainTimer? _flushTimer;
    private DateTimeOffset _nextPurge;

    private string Shard => GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await store.LoadAsync(Shard, cancellationToken))
        {
            _entries[entry.Id] = entry;
        }
        _nextPurge = time.GetUtcNow() + options.Value.EntryTimeToLive;
        _flushTimer = RegisterGrainTimer(static (grain, _) => grain.FlushAsync(), this,
            new GrainTimerCreationOptions(options.Value.FlushInterval, options.Value.FlushInterval) { Interleave = true });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _flushTimer?.Dispose();
        await FlushAsync();
    }

    public Task Upsert(string driverId, GeoPoint location, DateTimeOffset seenAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(driverId);
        if (_entries.TryGetValue(driverId, out var existing) && existing.LastSeen > seenAt)
        {
            return Task.CompletedTask; // an older position arrived late
        }
        var entry = new GeoCandidate(driverId, location, seenAt);
        _entries[driverId] = entry;
        _pending[driverId] = entry;
        return Task.CompletedTask;
    }

    public Task Remove(string driverId)
    {
        if (_entries.Remove(driverId))
        {
            _pending[driverId] = null;
        }
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<GeoNeighbor>> Nearest(GeoPoint center, double radiusMeters, int k, DateTimeOffset freshSince) =>
        Task.FromResult(NearestSearch.Nearest(_entries.Values, center, k, radiusMeters, freshSince).ToImmutableArray());

    public Task<int> Count() => Task.FromResult(_entries.Count);

    private async Task FlushAsync()
    {
        PurgeExpired();
        if (_pending.Count == 0)
        {
            return;
        }
        var upserts = new List<GeoCandidate>();
        var removals = new List<string>();
        foreach (var (id, entry) in _pending)
        {
            if (entry is { } candidate)
            {
                upserts.Add(candidate);
            }
            else
            {
                removals.Add(id);
            }
        }
        _pending.Clear();
        try
        {
            await store.WriteAsync(Shard, upserts, removals);
        }
        catch
        {
            // Keep the batch for the next flush unless newer changes replaced it.
            foreach (var candidate in upserts)
            {
                _pending.TryAdd(candidate.Id, candidate);
            }
            foreach (var id in removals)
            {
                _pending.TryAdd(id, null);
            }
            throw;
        }
    }

    private void PurgeExpired()
    {
        var now = time.GetUtcNow();
        if (now < _nextPurge)
        {
            return;
        }
        _nextPurge = now + options.Value.EntryTimeToLive;
        var cutoff = now - options.Value.EntryTimeToLive;
        foreach (var entry in _entries.Values.Where(e => e.LastSeen < cutoff).ToList())
        {
            _entries.Remove(entry.Id);
            _pending[entry.Id] = null;
        }
    }
}
