namespace Atlas.Actors.Membership;

/// <summary>The life stages of a silo as recorded in the membership table.</summary>
public enum SiloStatus
{
    None = 0,
    Created = 1,
    Joining = 2,
    Active = 3,
    ShuttingDown = 4,
    Stopping = 5,
    Dead = 6,
}

/// <summary>One suspicion vote: which silo suspected the row's silo, and when.</summary>
public sealed record SuspectVote(SiloAddress Voter, DateTime TimeUtc);

/// <summary>A row of the membership table.</summary>
public sealed record MembershipEntry
{
    public required SiloAddress Silo { get; init; }
    public required SiloStatus Status { get; init; }
    public string SiloName { get; init; } = "";
    public string HostName { get; init; } = "";
    public DateTime StartTimeUtc { get; init; }
    public DateTime IAmAliveTimeUtc { get; init; }
    public IReadOnlyList<SuspectVote> SuspectVotes { get; init; } = [];
}

/// <summary>The table-wide version that every change bumps, giving the views a total order.</summary>
public sealed record TableVersion(int Version, string ETag)
{
    public TableVersion Next() => this with { Version = Version + 1 };
}

/// <summary>A row and the ETag to present when updating it.</summary>
public sealed record VersionedEntry(MembershipEntry Entry, string ETag);

/// <summary>Everything in the table at one moment.</summary>
public sealed record MembershipTableSnapshot(TableVersion Version, IReadOnlyList<VersionedEntry> Entries);

/// <summary>
/// The cluster's membership table. Every change is a compare-and-swap on the table version (and, for updates,
/// the row's ETag), so concurrent writers cannot both win. Implementations: in-memory (tests, embedded), Redis.
/// </summary>
public interface IMembershipTable
{
    /// <summary>Creates whatever the table needs (idempotent). Called once by each silo and client at start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts a row if no row exists for the silo and <paramref name="version"/> is the successor of the stored version.</summary>
    Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion version, CancellationToken cancellationToken = default);

    /// <summary>Replaces a row if its ETag is still <paramref name="etag"/> and <paramref name="version"/> is the successor of the stored version.</summary>
    Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion version, CancellationToken cancellationToken = default);

    /// <summary>Refreshes a row's liveness timestamp; does not change the table version or the row's ETag.</summary>
    Task UpdateIAmAliveAsync(SiloAddress silo, DateTime iAmAliveUtc, CancellationToken cancellationToken = default);

    /// <summary>Deletes rows of dead silos whose liveness timestamp is older than <paramref name="beforeUtc"/>.</summary>
    Task CleanupDefunctEntriesAsync(DateTime beforeUtc, CancellationToken cancellationToken = default);
}
