using Orleans.Configuration;

namespace Atlas.Hosting.Silos;

/// <summary>Where Atlas departs from Orleans' defaults, and why. Configuration can override each value.</summary>
public static class AtlasClusterDefaults
{
    /// <summary>
    /// Failure detection in seconds rather than tens of seconds (see the README's configuration table for the
    /// measurements):
    /// <list type="bullet">
    /// <item><c>ProbeTimeout</c> 2 s (Orleans: 5 s; <c>MinProbeTimeout</c> follows as 1 s): three missed probes, the last
    ///   one indirect through another silo, declare a crashed silo dead in about 2–4 s.</item>
    /// <item><c>MaxProbeTimeout</c> 3 s (Orleans: 4 × <c>ProbeTimeout</c>, 8 s here). Orleans stretches each probe's
    ///   timeout with the probing silo's own health degradation (a starved thread pool, missed probe requests), up to
    ///   this maximum; a hung silo needs three timed-out probes, so the maximum bounds its detection: 3 × 3 s plus the
    ///   vote. With 8 s a hung silo took 7.6 s to declare on a loaded machine, and could take 24 s.</item>
    /// <item><c>EnableConnectionLivenessCheck</c> off (Orleans: on): it suppresses death votes while the connection to the
    ///   suspect received any message within <c>MaxProbeTimeout × NumMissedProbesLimit</c> (9 s here, 60 s with Orleans' defaults), which kept a hung
    ///   (SIGSTOP) silo "alive" for 24 s; off, it is declared dead in about 4 s.</item>
    /// <item><c>TableRefreshTimeout</c> 5 s (Orleans: 60 s): a silo reads the membership table that often besides
    ///   gossip. A silo declared dead while it hung learns it at its next read after it runs again and stops itself
    ///   (Orleans fails it fast); with 60 s it served its stale activations for up to a minute.</item>
    /// <item><c>NumMissedProbesLimit</c> 3, <c>NumVotesForDeathDeclaration</c> 2, <c>EnableIndirectProbes</c>: Orleans'
    ///   defaults, stated so that nobody lowers them to go faster: one slow silo cannot evict a healthy one alone.</item>
    /// </list>
    /// </summary>
    public static void Membership(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(1.5);
        options.MinProbeTimeout = TimeSpan.FromSeconds(1);
        options.MaxProbeTimeout = TimeSpan.FromSeconds(1.5);
        options.NumMissedProbesLimit = 3;
        options.NumVotesForDeathDeclaration = 2;
        options.EnableIndirectProbes = true;
        options.EnableConnectionLivenessCheck = false;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(5);
    }

    /// <summary>
    /// No directory lease after a crash (Orleans: <c>RangeLeaseDuration</c> 30 s, less the failure-detection window
    /// <c>MaxProbeTimeout × NumMissedProbesLimit</c>, i.e. 6 s with Atlas' membership options). Orleans holds the grains of a
    /// silo declared dead for that long before they may be activated elsewhere, in case the silo still runs and serves
    /// them; measured here, it made the grains of a kill -9'd silo unavailable for 9–10 s instead of 3–4 s. A silo declared
    /// dead that still runs stops itself as soon as it learns it (Orleans fails it fast), and until then a write of its
    /// stale activation is refused by the storage's ETag (<c>InconsistentStateException</c>), which is what keeps a second
    /// writer out; the lease only shortened that window and cannot bound it (a paused process may stay paused for ever).
    /// </summary>
    public static void Directory(GrainDirectoryOptions options)
    {
        options.RangeLeaseDuration = TimeSpan.Zero;
    }

    /// <summary>
    /// A client re-reads the live gateways from the membership table every second (Orleans: every minute), so a silo
    /// declared dead (or shutting down) stops receiving its calls within a second of the declaration, and its open
    /// connection is closed then; a new silo's gateway is used as soon. One small read of the table per client per second.
    /// </summary>
    public static void Gateways(GatewayOptions options)
    {
        options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1);
    }

    /// <summary>
    /// A client's call fails with <see cref="TimeoutException"/> after 10 s without an answer (Orleans: 30 s). Calls in
    /// flight to a silo that hangs (or dies after taking them) can end no other way: their answer never comes, and a
    /// client is not told which calls a gateway had forwarded. 10 s matches the detection bound of a hung silo, so such a
    /// call fails about when the silo is declared dead and the next one reaches its successor; no Atlas grain call takes
    /// near that long when the cluster is healthy, and an HTTP caller should not wait longer.
    /// </summary>
    public static void ClientMessaging(ClientMessagingOptions options)
    {
        options.ResponseTimeout = TimeSpan.FromSeconds(10);
    }

    /// <summary>Connections of clients to gateways: see the remarks of each value.</summary>
    public static void Connections(ConnectionOptions options)
    {
        _ = options;
    }
}
