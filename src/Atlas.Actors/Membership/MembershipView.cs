namespace Atlas.Actors.Membership;

/// <summary>A silo's view of the cluster at one table version: the active silos, and those known dead.</summary>
public sealed class MembershipView
{
    public MembershipView(long version, IReadOnlyList<SiloAddress> activeSilos, IReadOnlySet<SiloAddress> deadSilos)
    {
        Version = version;
        ActiveSilos = activeSilos.OrderBy(s => s.Endpoint, StringComparer.Ordinal).ThenBy(s => s.Generation).ToArray();
        DeadSilos = deadSilos;
    }

    public static MembershipView Empty { get; } = new(-1, [], new HashSet<SiloAddress>());

    public long Version { get; }

    /// <summary>Silos that take calls, in a fixed order.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos { get; }

    public IReadOnlySet<SiloAddress> DeadSilos { get; }

    public bool IsActive(SiloAddress silo) => ActiveSilos.Contains(silo);

    public static MembershipView FromSnapshot(MembershipTableSnapshot snapshot) => new(
        snapshot.Version.Version,
        snapshot.Entries.Where(e => e.Entry.Status == SiloStatus.Active).Select(e => e.Entry.Silo).ToArray(),
        snapshot.Entries.Where(e => e.Entry.Status == SiloStatus.Dead).Select(e => e.Entry.Silo).ToHashSet());

    public override string ToString() => $"v{Version} [{string.Join(", ", ActiveSilos)}]";
}
