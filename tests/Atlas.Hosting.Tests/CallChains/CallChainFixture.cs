using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;

namespace Atlas.Hosting.Tests.CallChains;

/// <summary>Two silos configured as production's (<c>AddAtlasSilo</c>, <c>UseAtlasMemoryStorage</c>), shared by a collection.</summary>
public sealed class AtlasClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed yet.");

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        _cluster = Build(silos: 2);
        await _cluster.DeployAsync();
        await _cluster.WaitForLivenessToStabilizeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// A test cluster of silos configured by <c>AddAtlasSilo</c> and <c>UseAtlasMemoryStorage</c>.
    /// <paramref name="distributedDirectory"/> must stay true for the cluster to run production's grain directory: without
    /// it the test cluster registers its own in-process directory as the default, after (and so over) Atlas' choice.
    /// </summary>
    public static InProcessTestCluster Build(short silos, bool distributedDirectory = true, Action<ISiloBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().Build();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
#pragma warning disable ORLEANSEXP003 // the distributed directory is experimental in Orleans 10; Atlas runs it (AddAtlasSilo)
        builder.Options.UseDistributedGrainDirectory = distributedDirectory;
#pragma warning restore ORLEANSEXP003
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAtlasSilo(configuration);
            silo.UseAtlasMemoryStorage();
            configure?.Invoke(silo);
        });
        // WaitForLivenessToStabilizeAsync waits by the client's membership options: the silos' keep it short.
        builder.ConfigureClient(client => client.Services.AddOptions<ClusterMembershipOptions>().Configure(AtlasClusterDefaults.Membership));
        return builder.Build();
    }

    /// <summary>Two different silos of the cluster.</summary>
    public (SiloAddress First, SiloAddress Second) TwoSilos()
    {
        var silos = Cluster.Silos;
        Assert.True(silos.Count >= 2, "the test needs two silos");
        return (silos[0].SiloAddress, silos[1].SiloAddress);
    }

    /// <summary>Calls the first hop of <paramref name="path"/> from the client, placed as the hop says.</summary>
    public async Task<string> RunAsync(params Hop[] path)
    {
        var first = ChainGrain.Get(Client, path[0]);
        if (path[0].Silo is { } silo)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        }
        try
        {
            return path[0].Call switch
            {
                ChainCall.RunReadOnly => await first.RunReadOnly(path, 1),
                ChainCall.RunInterleaved => await first.RunInterleaved(path, 1),
                ChainCall.Run => await first.Run(path, 1),
                _ => throw new ArgumentException("The client's call must answer.", nameof(path)),
            };
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AtlasClusterCollection : ICollectionFixture<AtlasClusterFixture>
{
    public const string Name = "atlas-cluster";
}
