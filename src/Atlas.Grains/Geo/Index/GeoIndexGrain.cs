using System.Collections.Immutable;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// One index shard. Queries are answered from memory (<see cref="ShardEntries"/>); changes are written behind to the
/// <see cref="IGeoIndexStore"/> in batches (at least every <see cref="GeoIndexOptions.FlushInterval"/> and on
/// deactivation), and a shard that activates (e.g. on a survivor after a silo died) rebuilds from the store.
/// </summary>
/// <remarks>
/// A batch is written in the background, one at a time: the shard keeps answering and accepting positions while the
/// store works, and while the store is down. A batch whose write fails goes back into the pending changes (unless newer
/// changes for the same drivers replaced it) and is written at a later flush. A store that lost the shard (a Redis
/// restarted without persistence) is noticed at the next write, and the shard writes all its fresh entries again.
/// </remarks>
public sealed partial class GeoIndexGrain(IGeoIndexStore store, IOptions<GeoIndexOptions> options, TimeProvider time, ILogger<GeoIndexGrain> logger)
    : Grain, IGeoIndexGrain
{
    /// <summary>Buckets per cell side: a tenth of a 0.05° cell holds about ten drivers at city density (800 per cell).</summary>
    private const int BucketsPerCellSide = 10;

    private readonly ShardEntries _entries = new(options.Value.CellSizeDegrees / BucketsPerCellSide);
    private Dictionary<string, GeoCandidate?> _pending = new(StringComparer.Ordinal);
    private Dictionary<string, GeoCandidate?> _writing = new(StringComparer.Ordinal);
    private Task _write = Task.CompletedTask;
    private IGrainTimer? _flushTimer;
    private DateTimeOffset _nextPurge;
    private int _failedWrites;
    private bool _storeHoldsEntries;

    private string Shard => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await store.LoadAsync(Shard, cancellationToken))
        {
            _entries.Set(entry);
        }
        _storeHoldsEntries = _entries.Count > 0;
        _nextPurge = time.GetUtcNow() + options.Value.EntryTimeToLive;
        _flushTimer = this.RegisterGrainTimer(static (grain, _) => grain.StartFlush(), this,
            new GrainTimerCreationOptions(options.Value.FlushInterval, options.Value.FlushInterval) { Interleave = true });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _flushTimer?.Dispose();
        await _write;
        PurgeExpired();
        // A second write takes what the first found the store had lost; a store that is down fails both quickly.
        for (var attempt = 0; attempt < 2 && _pending.Count > 0; attempt++)
        {
            await WriteBatchAsync();
        }
        if (_pending.Count > 0)
        {
            LogChangesLost(Shard, _pending.Count);
        }
    }

    public Task Upsert(string driverId, GeoPoint location, DateTimeOffset seenAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(driverId);
        var entry = new GeoCandidate(driverId, location, seenAt);
        if (_entries.Set(entry))
        {
            _pending[driverId] = entry;
            GeoIndexMetrics.Updates.Add(1);
        }
        return Task.CompletedTask;
    }

    public Task Remove(string driverId)
    {
        if (_entries.Remove(driverId))
        {
            _pending[driverId] = null;
            GeoIndexMetrics.Updates.Add(1);
        }
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<GeoNeighbor>> Nearest(GeoPoint center, double radiusMeters, int k, DateTimeOffset freshSince) =>
        Task.FromResult(_entries.Nearest(center, radiusMeters, k, freshSince));

    public Task<int> Count() => Task.FromResult(_entries.Count);

    public Task<int> CountSeenSince(DateTimeOffset since) => Task.FromResult(_entries.All().Count(e => e.LastSeen >= since));

    /// <summary>The flush timer's tick: starts writing the pending changes unless a write is still under way.</summary>
    private Task StartFlush()
    {
        PurgeExpired();
        if (_write.IsCompleted && _pending.Count > 0)
        {
            _write = WriteBatchAsync();
        }
        return Task.CompletedTask;
    }

    /// <summary>Writes the pending changes as one batch; on failure puts them back. Never throws.</summary>
    private async Task WriteBatchAsync()
    {
        (_writing, _pending) = (_pending, _writing);
        var upserts = new List<GeoCandidate>(_writing.Count);
        var removals = new List<string>();
        foreach (var (id, entry) in _writing)
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
        try
        {
            var held = await store.WriteAsync(Shard, upserts, removals);
            GeoIndexMetrics.BatchSize.Record(upserts.Count + removals.Count);
            if (_failedWrites > 0)
            {
                LogWritesResumed(Shard, _failedWrites);
                _failedWrites = 0;
            }
            if (!held && _storeHoldsEntries)
            {
                ResendFreshEntries();
            }
            _storeHoldsEntries = _entries.Count > 0;
        }
        catch (Exception exception)
        {
            // Keep the batch for the next flush, unless newer changes for the same drivers replaced it meanwhile.
            foreach (var (id, entry) in _writing)
            {
                _pending.TryAdd(id, entry);
            }
            GeoIndexMetrics.WriteFailures.Add(1);
            if (_failedWrites++ == 0)
            {
                LogWriteFailed(exception, Shard, _writing.Count);
            }
        }
        finally
        {
            _writing.Clear();
        }
    }

    /// <summary>The store lost what this shard wrote before: queue every fresh entry for the next flush.</summary>
    private void ResendFreshEntries()
    {
        var cutoff = time.GetUtcNow() - options.Value.EntryTimeToLive;
        var resent = 0;
        foreach (var entry in _entries.All())
        {
            if (entry.LastSeen >= cutoff && _pending.TryAdd(entry.Id, entry))
            {
                resent++;
            }
        }
        if (resent > 0)
        {
            LogStoreLostShard(Shard, resent);
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
        foreach (var id in _entries.RemoveOlderThan(now - options.Value.EntryTimeToLive))
        {
            _pending[id] = null;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Geo index shard {Shard} could not write {Count} change(s) to its store; they stay pending and are retried at every flush")]
    private partial void LogWriteFailed(Exception exception, string shard, int count);

    [LoggerMessage(LogLevel.Information, "Geo index shard {Shard} writes to its store again after {Failures} failed attempt(s)")]
    private partial void LogWritesResumed(string shard, int failures);

    [LoggerMessage(LogLevel.Warning, "Geo index shard {Shard} found its store had lost its entries (restarted without persistence?); writing {Count} fresh entries again")]
    private partial void LogStoreLostShard(string shard, int count);

    [LoggerMessage(LogLevel.Warning, "Geo index shard {Shard} deactivated with {Count} change(s) its store did not take; drivers' next positions restore them")]
    private partial void LogChangesLost(string shard, int count);
}
