namespace Atlas.Actors.Membership;

/// <summary>
/// Failure detection. With the defaults a silo that crashes is declared dead in about 2–3 s
/// (probe every second, two missed probes, votes from two silos); Orleans' defaults take tens of seconds.
/// </summary>
public sealed class MembershipOptions
{
    /// <summary>How often each silo probes the silos it watches (default 1 s).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a probe may take before it counts as missed (default 1 s).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive missed probes after which a silo votes its target dead (default 2).</summary>
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>How many silos each silo probes (default 10; all of them in smaller clusters).</summary>
    public int NumProbedSilos { get; set; } = 10;

    /// <summary>Fresh votes needed to declare a silo dead (default 2; fewer if fewer silos can vote).</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a suspicion vote stays fresh (default 30 s).</summary>
    public TimeSpan DeathVoteExpiration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a silo writes its IAmAlive timestamp (default 5 s).</summary>
    public TimeSpan IAmAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the table is re-read even without gossip (default 2 s).</summary>
    public TimeSpan TableRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Dead silos' rows are deleted once their last IAmAlive is this old (default 1 day).</summary>
    public TimeSpan DefunctSiloExpiration { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a joining silo keeps trying to reach the active silos before it gives up (default 15 s).</summary>
    public TimeSpan JoinConnectivityTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often defunct rows are cleaned up (default 1 h).</summary>
    public TimeSpan DefunctSiloCleanupPeriod { get; set; } = TimeSpan.FromHours(1);
}
