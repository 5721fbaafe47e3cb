using Atlas.Hosting.Silos;
using Atlas.Hosting.Tests.CallChains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.GrainDirectory;

namespace Atlas.Hosting.Tests.Configuration;

/// <summary>
/// A silo configured by <c>AddAtlasSilo</c> places every grain through Orleans' strongly consistent distributed grain
/// directory, in a test cluster as in a plain host: the tests run the directory production runs.
/// </summary>
[Collection(AtlasClusterCollection.Name)]
public sealed class GrainDirectoryTests(AtlasClusterFixture fixture)
{
    private const string Distributed = "Orleans.Runtime.GrainDirectory.DistributedGrainDirectory";

    /// <summary>
    /// The directory the silo uses for grains without a <c>[GrainDirectory]</c> of their own: what Orleans' (internal)
    /// GrainDirectoryResolver took at start-up, and the keyed registration it took it from.
    /// </summary>
    private static (string? Used, string? Registered) DefaultDirectory(IServiceProvider services)
    {
        var resolverType = Type.GetType("Orleans.Runtime.GrainDirectory.GrainDirectoryResolver, Orleans.Runtime", throwOnError: true)!;
        var resolver = services.GetRequiredService(resolverType);
        var used = resolverType.GetProperty("DefaultGrainDirectory")!.GetValue(resolver);
        var registered = services.GetKeyedService<IGrainDirectory>(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY);
        return (used?.GetType().FullName, registered?.GetType().FullName);
    }

    [Fact]
    public void Every_silo_of_the_test_cluster_uses_the_distributed_grain_directory()
    {
        Assert.All(fixture.Cluster.Silos, silo => Assert.Equal((Distributed, Distributed), DefaultDirectory(silo.ServiceProvider)));
    }

    [Fact]
    public async Task A_silo_in_a_plain_host_uses_the_distributed_grain_directory()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        var id = $"directory-{Guid.NewGuid():N}";
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(LoopbackPorts.Free(), LoopbackPorts.Free(), serviceId: id, clusterId: id)
            .AddAtlasSilo(builder.Configuration)
            .UseAtlasMemoryStorage());
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            Assert.Equal((Distributed, Distributed), DefaultDirectory(host.Services));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_test_cluster_not_told_to_use_the_distributed_directory_puts_its_own_in_its_place()
    {
        // Why the test clusters set InProcessTestClusterOptions.UseDistributedGrainDirectory: otherwise the test cluster
        // registers its in-process directory as the default after AddAtlasSilo, and it is the one used.
        await using var cluster = AtlasClusterFixture.Build(silos: 1, distributedDirectory: false);
        await cluster.DeployAsync();
        try
        {
            var (used, registered) = DefaultDirectory(cluster.Silos[0].ServiceProvider);
            Assert.Equal("Orleans.TestingHost.InProcess.InProcessGrainDirectory", used);
            Assert.Equal(used, registered);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
        }
    }
}
