using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Atlas.Infrastructure.Tests.Clusters;

/// <summary>
/// An in-process Orleans cluster whose silos run what production runs — <c>AddAtlasSilo(configuration)</c> (the
/// strongly consistent grain directory, call-cycle filters, membership tuning, the ride grains) on memory grain state
/// and reminders — plus the stores a test puts under test, registered on each silo's services by
/// <paramref name="configureSilo"/> (shared instances are captured by the lambda, so every silo sees the same one, as a
/// database would be shared). <paramref name="settings"/> are configuration keys the silos bind as production binds
/// appsettings.json (e.g. <c>GeoIndex:FlushInterval</c>). <paramref name="storage"/> replaces the memory storage (e.g.
/// <c>UseAtlasSqliteStorage</c>, the embedded platform's).
/// </summary>
public sealed class AtlasTestCluster : IAsyncDisposable
{
    private readonly short _silos;

    private AtlasTestCluster(InProcessTestCluster cluster, short silos)
    {
        Cluster = cluster;
        _silos = silos;
    }

    public InProcessTestCluster Cluster { get; }

    /// <summary>The external client (as the HTTP front-end in client mode would be).</summary>
    public IGrainFactory GrainFactory => Cluster.Client;

    /// <summary>The running silos, in start order.</summary>
    public IReadOnlyList<InProcessSiloHandle> Silos => Cluster.Silos;

    internal static async Task<AtlasTestCluster> StartAsync(short silos, Action<ISiloBuilder> configureSilo,
        IReadOnlyDictionary<string, string?>? settings = null, Action<ISiloBuilder>? storage = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        // AddAtlasSilo chooses Orleans' distributed grain directory; without this the test cluster would put its own
        // in-process directory in its place, and tests would not run what production runs.
#pragma warning disable ORLEANSEXP003
        builder.Options.UseDistributedGrainDirectory = true;
#pragma warning restore ORLEANSEXP003
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>()));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAtlasSilo(silo.Configuration);
            (storage ?? (s => s.UseAtlasMemoryStorage()))(silo);
            configureSilo(silo);
        });
        // WaitForLivenessToStabilizeAsync bounds its wait by the client's membership options (Orleans' defaults: 65 s
        // after a kill); the client gets the silos' so that the bound is theirs.
        builder.ConfigureClient(client => client.Services.AddOptions<ClusterMembershipOptions>().Configure(AtlasClusterDefaults.Membership));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return new AtlasTestCluster(cluster, silos);
    }

    /// <summary>The grain factory of one silo: calls made through it start on that silo, as a grain's would.</summary>
    public static IGrainFactory GrainFactoryOf(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>The silos that hold an activation of <paramref name="grainId"/> (Orleans' management grain asks each silo).</summary>
    public async Task<IReadOnlyList<InProcessSiloHandle>> HostsOfAsync(GrainId grainId)
    {
        var statistics = await Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var hosts = statistics.Where(s => s.GrainId == grainId).Select(s => s.SiloAddress).ToHashSet();
        return Silos.Where(s => hosts.Contains(s.SiloAddress)).ToArray();
    }

    /// <summary>The one silo that holds an activation of <paramref name="grainId"/>; fails if none or several do.</summary>
    public async Task<InProcessSiloHandle> HostOfAsync(GrainId grainId)
    {
        var hosts = await HostsOfAsync(grainId);
        return hosts.Count == 1
            ? hosts[0]
            : throw new InvalidOperationException($"{grainId} is active on {hosts.Count} silos ({string.Join(", ", hosts.Select(h => h.SiloAddress))}), not one.");
    }

    /// <summary>Kills <paramref name="silo"/> (no graceful deactivation) and waits until the survivors and the client agree it is gone.</summary>
    public async Task KillAsync(InProcessSiloHandle silo)
    {
        await Cluster.KillSiloAsync(silo);
        await Cluster.WaitForLivenessToStabilizeAsync(didKill: true);
    }

    /// <summary>Starts silos until the cluster has as many as it started with (after a test killed some), and waits until they are in.</summary>
    public async Task RestoreSilosAsync()
    {
        var missing = _silos - Silos.Count;
        if (missing <= 0)
        {
            return;
        }
        await Cluster.StartSilosAsync(missing);
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
