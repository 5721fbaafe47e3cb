using System.Net;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>Deployments of other cluster ids share the servers but never the cluster.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class ClusterIdTests(SharedCluster shared)
{
    private ProcessCluster Cluster => shared.Cluster;

    [Fact]
    public async Task A_silo_of_another_cluster_id_on_the_same_servers_never_joins_this_cluster()
    {
        var otherCluster = $"other-{Guid.NewGuid():N}";
        await using var other = SiloProcess.Start(otherCluster);
        await other.WaitUntilActiveAsync();

        // Its membership row is in its own cluster's table; this cluster's table still lists exactly its own silos.
        Assert.Equal([other.Port], await new MembershipTable(otherCluster).ActivePortsAsync());
        Assert.Equal(Cluster.Silos.Select(s => s.Port).Order(), await Cluster.Membership.ActivePortsAsync());
        // Each row names its process by advertised host and port (Atlas:Silo:Name unset), not Orleans' random Silo_xxxxx.
        Assert.Equal($"127.0.0.1-{other.Port}", (await new MembershipTable(otherCluster).ActiveNamesAsync())[other.Port]);
        // No grain of this cluster is placed on it, and this cluster still serves.
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Cluster.Grains.GetGrain<IProbeGrain>($"cluster-id-{Guid.NewGuid():N}").Ping(i)));
        Assert.All(answers, a => Assert.DoesNotContain(a.Silo, $":{other.Port}:"));
        Assert.All(answers, a => Assert.Contains(Cluster.Silos, s => s.Is(a.Silo)));
    }

    [Fact]
    public async Task A_client_of_another_cluster_id_pointed_at_this_clusters_gateways_is_refused_at_the_handshake()
    {
        var otherCluster = $"other-{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client => client
            .UseStaticClustering(Cluster.Silos.Select(s => new IPEndPoint(IPAddress.Loopback, s.GatewayPort)).ToArray())
            .Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = otherCluster)
            // Orleans' default retries the first connection for 3 minutes; a refusal is final here.
            .UseConnectionRetryFilter((_, _) => Task.FromResult(false)));
        using var host = builder.Build();

        // The client cannot start: every gateway of this cluster ends the handshake.
        var refused = await Record.ExceptionAsync(async () =>
        {
            await host.StartAsync();
            await host.Services.GetRequiredService<IClusterClient>().GetGrain<IProbeGrain>("stranger").Ping(1);
        });
        Assert.NotNull(refused);
        Assert.Contains("Unable to connect to any of the 3 available gateways", refused.Message, StringComparison.Ordinal);
        // The gateways say why.
        await TestServices.UntilAsync(() => Task.FromResult(Cluster.Silos.SelectMany(s => s.Output).Any(line =>
                line.Contains("Unexpected cluster id", StringComparison.Ordinal) && line.Contains(otherCluster, StringComparison.Ordinal))),
            "a gateway to log the refused cluster id", TimeSpan.FromSeconds(15));
        Assert.Equal(5, (await Cluster.Grains.GetGrain<IProbeGrain>("still-serving").Ping(5)).Value);
    }
}
