using Orleans.Configuration;

namespace Atlas.Hosting.Silos;

/// <summary>Where Atlas departs from Orleans' defaults, and why. Configuration can override each value.</summary>
public static class AtlasClusterDefaults
{
    /// <summary>
    /// Failure detection in seconds rather than tens of seconds: probes time out after 2 s (Orleans: 5 s), so a crashed
    /// silo is declared dead in about 2–5 s; the connection-liveness check is off, because it suppresses death votes for
    /// as long as the connection to a hung silo once carried a message (a silo stopped with SIGSTOP stayed "alive" for
    /// 24 s with it on, 3.7 s with it off — see the README's configuration table).
    /// </summary>
    public static void Membership(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(2);
        options.NumMissedProbesLimit = 3;
        options.NumVotesForDeathDeclaration = 2;
        options.EnableIndirectProbes = true;
        options.EnableConnectionLivenessCheck = false;
    }
}
