namespace Atlas.Actors.Membership;

/// <summary>
/// A membership table held in memory, shared by the silos of one process (TestCluster, embedded platform).
/// Same compare-and-swap semantics as the durable tables.
/// </summary>
public sealed class InMemoryMembershipTable : IMembershipTable
{
    private readonly object _lock = new();
    private readonly Dictionary<SiloAddress, VersionedEntry> _rows = [];
    private TableVersion _version = new(0, "0");
    private long _etagCounter;

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(new MembershipTableSnapshot(_version, _rows.Values.ToArray()));
        }
    }

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion version, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_rows.ContainsKey(entry.Silo) || !IsSuccessor(version))
            {
                return Task.FromResult(false);
            }
            _rows[entry.Silo] = new VersionedEntry(entry, NewEtag());
            _version = version with { ETag = NewEtag() };
            return Task.FromResult(true);
        }
    }

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion version, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue(entry.Silo, out var current) || current.ETag != etag || !IsSuccessor(version))
            {
                return Task.FromResult(false);
            }
            _rows[entry.Silo] = new VersionedEntry(entry, NewEtag());
            _version = version with { ETag = NewEtag() };
            return Task.FromResult(true);
        }
    }

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTime iAmAliveUtc, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_rows.TryGetValue(silo, out var current))
            {
                _rows[silo] = current with { Entry = current.Entry with { IAmAliveTimeUtc = iAmAliveUtc } };
            }
            return Task.CompletedTask;
        }
    }

    public Task CleanupDefunctEntriesAsync(DateTime beforeUtc, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var row in _rows.Values.Where(r => r.Entry.Status == SiloStatus.Dead && r.Entry.IAmAliveTimeUtc < beforeUtc).ToList())
            {
                _rows.Remove(row.Entry.Silo);
            }
            return Task.CompletedTask;
        }
    }

    private bool IsSuccessor(TableVersion version) => version.Version == _version.Version + 1;

    private string NewEtag() => (++_etagCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
