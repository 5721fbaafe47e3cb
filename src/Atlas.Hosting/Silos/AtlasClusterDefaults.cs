using Orleans.Configuration;

namespace Atlas.Hosting.Silos;

/// <summary>Where Atlas departs from Orleans' defaults, and why. Configuration can override each value.</summary>
public static class AtlasClusterDefaults
{
    /// <summary>
    /// Failure detection in seconds rather than tens of seconds: on 3 silo processes of a loaded 2-core machine a
    /// kill -9'd silo is declared dead in 2–3 s (Orleans' defaults: 12 s) and a hung one (SIGSTOP) in 3.5–5 s (defaults:
    /// a minute or more). Each value, with Orleans' default:
    /// <list type="bullet">
    /// <item><c>ProbeTimeout</c> 1.5 s (5 s), <c>MinProbeTimeout</c> 1 s (half of it), <c>MaxProbeTimeout</c> 1.5 s (four
    ///   times it). A silo probes each other silo once per (adaptive) timeout; three failed probes, the last one indirect
    ///   through another silo, declare it dead. Orleans stretches the timeout — and so the probe period — with the
    ///   prober's own health degradation (a starved thread pool), up to the maximum, so the maximum bounds detection:
    ///   a crashed silo (its port refuses at once) about 3 × 1.5 s at worst, a hung one (each probe waits out its
    ///   timeout) about the same plus the vote. With a 2 s timeout and an 8 s maximum a kill -9 took up to 5 s and a
    ///   SIGSTOP up to 7.6 s on this machine; a minimum of 1 s still lets a healthy silo answer through a GC pause.</item>
    /// <item><c>EnableConnectionLivenessCheck</c> off (on): it suppresses death votes while the connection to the suspect
    ///   received any message within <c>MaxProbeTimeout × NumMissedProbesLimit</c>, which kept a hung silo "alive" for
    ///   24 s with a 2 s timeout (a frozen process's socket still delivered what was in flight).</item>
    /// <item><c>TableRefreshTimeout</c> 5 s (60 s): how often a silo reads the membership table besides gossip. A silo
    ///   declared dead while it hung finds out at its next read once it runs again, and stops itself (Orleans fails it
    ///   fast); with 60 s it served its stale activations for up to a minute, with 5 s it stopped 2.3–3 s after SIGCONT.
    ///   One small Redis read per silo every 5 s.</item>
    /// <item><c>NumMissedProbesLimit</c> 3, <c>NumVotesForDeathDeclaration</c> 2, <c>EnableIndirectProbes</c> on: Orleans'
    ///   defaults, stated so that nobody lowers them to go faster — two silos must agree, so one slow silo cannot evict a
    ///   healthy one alone.</item>
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
    /// No directory lease after a crash (Orleans: <c>RangeLeaseDuration</c> 30 s, counted from the estimated time of the
    /// crash, i.e. 30 s less <c>MaxProbeTimeout × NumMissedProbesLimit</c> after the death declaration: 25.5 s with Atlas'
    /// membership options). Orleans holds the grains of a silo declared dead for that long before they may be activated
    /// elsewhere, in case the silo still runs and serves them; measured with a 6 s lease, the grains of a kill -9'd silo
    /// answered again after 9–10 s instead of 3–4 s. A silo declared dead that still runs stops itself as soon as it
    /// learns it (Orleans fails it fast), and until then a write of its stale activation is refused by the storage's
    /// ETag (<c>InconsistentStateException</c>; the integration test <c>TwoActivationsTests</c> forces it): that is what
    /// keeps a second writer out. The lease only narrowed the window and cannot close it (a paused process may stay
    /// paused for longer than any lease).
    /// </summary>
    public static void Directory(GrainDirectoryOptions options)
    {
        options.RangeLeaseDuration = TimeSpan.Zero;
    }

    /// <summary>
    /// Each silo re-reads its share of the reminder table every minute (Orleans: every 5 minutes). A ride's deadlines run
    /// on grain timers backed by reminders (<c>Dispatch:BackstopPeriod</c>); a reminder registered while its silo dies, or
    /// whose range moves to another silo, is picked up at the next read, so this bounds how late such a backstop fires.
    /// One range query per silo per minute.
    /// </summary>
    public static void Reminders(Orleans.Hosting.ReminderOptions options)
    {
        options.RefreshReminderListPeriod = TimeSpan.FromMinutes(1);
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
}
