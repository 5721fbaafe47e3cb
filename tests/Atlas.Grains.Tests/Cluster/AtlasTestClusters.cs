using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace Atlas.Grains.Tests.Cluster;

/// <summary>
/// In-process Orleans test clusters configured as production configures its silos: <c>AddAtlasSilo</c> with the
/// test's configuration and <c>UseAtlasMemoryStorage</c>, plus what a test shares between silos (stores standing in for
/// a database) and <see cref="StoresOnOldestSiloResolver"/>, so that killing a silo other than the oldest loses no state.
/// </summary>
public static class AtlasTestClusters
{
    /// <summary>The timings of the ride tests: offers answered within 3 s, payments retried every second, index flushes every 50 ms.</summary>
    public static Dictionary<string, string?> TestTimings() => new()
    {
        ["Dispatch:OfferTimeout"] = "00:00:03",
        ["Dispatch:PaymentRetryInterval"] = "00:00:01",
        ["GeoIndex:FlushInterval"] = "00:00:00.050",
        // The ride tests exercise offers and wallet payments on economy rides; the built-in default city assigns at
        // once and takes cash on motorbike rides (MarketRideTests configure cities of those kinds).
        ["Markets:Cities:default:Dispatch"] = "offer",
        ["Markets:Cities:default:DefaultVehicleClass"] = "economy",
        ["Markets:Cities:default:Payments:Default"] = "wallet",
        // A cash city that assigns at once, with a credit limit one motorbike ride's commission exhausts (MarketRideTests).
        ["Markets:Cities:cashtown:Dispatch"] = "assign",
        ["Markets:Cities:cashtown:Payments:Default"] = "cash",
        ["Markets:Cities:cashtown:Payments:DriverCreditLimit"] = "100",
    };

    /// <summary>
    /// Starts a cluster of <paramref name="silos"/> silos, one after the other: the first alone, so that Orleans' in-memory
    /// stores, which a starting silo already uses, are placed on it (silos started together could place the reminder
    /// table on any of them before they see each other).
    /// </summary>
    /// <param name="silos">How many silos the cluster starts with.</param>
    /// <param name="settings">Configuration as a host would read it (ride options by section, Orleans' under <c>Atlas:</c>).</param>
    /// <param name="shared">Services every silo shares, registered before <c>AddAtlasSilo</c> (whose defaults yield to them).</param>
    public static async Task<InProcessTestCluster> StartAsync(short silos, IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> shared)
    {
        var cluster = Build(settings, shared);
        try
        {
            await cluster.DeployAsync();
            while (cluster.Silos.Count < silos)
            {
                await cluster.StartAdditionalSiloAsync();
            }
            await cluster.WaitForLivenessToStabilizeAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static InProcessTestCluster Build(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> shared)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        // ATLAS_TEST_LOGS=1: each silo and the client log to a file under logs/ beside the test assembly (for a failure's story).
        builder.Options.ConfigureFileLogging = Environment.GetEnvironmentVariable("ATLAS_TEST_LOGS") == "1";
        // AddAtlasSilo registers the distributed grain directory; without this flag the test cluster would register
        // its own in-process directory as the default after it, and the tests would not run on production's directory.
#pragma warning disable ORLEANSEXP003
        builder.Options.UseDistributedGrainDirectory = true;
#pragma warning restore ORLEANSEXP003
        builder.ConfigureSilo((_, silo) =>
        {
            shared(silo.Services);
            silo.AddAtlasSilo(configuration);
            silo.UseAtlasMemoryStorage();
            silo.Services.AddPlacementDirector<OldestSiloPlacement, OldestSiloPlacementDirector>();
            silo.Services.AddSingleton<IPlacementStrategyResolver>(new StoresOnOldestSiloResolver(new OldestSiloPlacement()));
        });
        // The test cluster waits for failure detection by the client's membership options: the silos' (Atlas' defaults
        // and the configuration) keep WaitForLivenessToStabilizeAsync short.
        builder.ConfigureClient(client =>
        {
            client.Services.AddOptions<ClusterMembershipOptions>()
                .Configure(AtlasClusterDefaults.Membership)
                .Bind(configuration.GetSection($"{AtlasSiloBuilderExtensions.SectionName}:Membership"));
        });
        return builder.Build();
    }

    /// <summary>The silo that holds the activation of <paramref name="grain"/>, if any.</summary>
    public static SiloAddress? SiloOf(this InProcessTestCluster cluster, IAddressable grain) =>
        cluster.TryGetGrainContext(grain.GetGrainId(), out var context) ? context.Address.SiloAddress : null;

    /// <summary>The silo that holds Orleans' in-memory stores (<see cref="StoresOnOldestSiloResolver"/>): the oldest.</summary>
    public static InProcessSiloHandle StoreSilo(this InProcessTestCluster cluster) => cluster.Silos.MinBy(s => s.SiloAddress.Generation)!;

    /// <summary>
    /// Kills <paramref name="victim"/> (no deactivation, no hand-over, as a crash), after checking that it holds none of
    /// the in-memory stores, and waits until the survivors and the client agree that it is gone.
    /// </summary>
    public static async Task KillAsync(this InProcessTestCluster cluster, InProcessSiloHandle victim)
    {
        var stores = await cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(hostsIds: [victim.SiloAddress]);
        // Orleans names grain classes with their assembly ("Orleans.Storage.MemoryStorageGrain,Orleans.Persistence.Memory").
        var held = stores.Where(s => StoresOnOldestSiloResolver.StoreGrainClasses.Contains(s.GrainType.Split(',')[0])).Select(s => s.GrainId).ToArray();
        if (held.Length > 0)
        {
            throw new InvalidOperationException($"Silo {victim.SiloAddress} holds the in-memory stores {string.Join(", ", held)}: killing it would lose them.");
        }
        await cluster.KillSiloAsync(victim);
        await cluster.WaitForLivenessToStabilizeAsync(didKill: true);
    }
}

/// <summary>Where a test puts the grains it activates.</summary>
public static class Placement
{
    /// <summary>
    /// Runs <paramref name="call"/> with Orleans' placement hint set to <paramref name="silo"/>: a grain the call activates
    /// (the target, and any grain activated on the way) is placed there.
    /// </summary>
    public static async Task<T> OnSilo<T>(SiloAddress silo, Func<Task<T>> call)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    /// <inheritdoc cref="OnSilo{T}"/>
    public static Task OnSilo(SiloAddress silo, Func<Task> call) => OnSilo(silo, async () =>
    {
        await call();
        return true;
    });
}
