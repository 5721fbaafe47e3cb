using Atlas.Actors.Hosting;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>A silo of another cluster, even one that found this cluster's membership table, cannot join it.</summary>
[Collection(SocketsCollection.Name)]
public sealed class ClusterIdTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = ActorsFixture.Configure(new TestClusterBuilder(2).UseTcpTransport(), new Grains.TestProbe()).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_silo_with_another_cluster_id_fails_to_join_and_never_becomes_active()
    {
        var port = TcpPeers.FreePort();
        var services = new ServiceCollection();
        services.AddAtlasSiloWithoutHost(silo =>
        {
            silo.Configure<SiloOptions>(o =>
            {
                o.ClusterId = "intruder";
                o.Port = port;
                o.ListenAddress = "127.0.0.1";
            });
            silo.Configure<MembershipOptions>(o => o.JoinConnectivityTimeout = TimeSpan.FromSeconds(2));
            silo.UseTcpTransport();
            silo.UseMembershipTable(_ => _cluster.MembershipTable);
            silo.AddMemoryGrainStorageAsDefault();
            silo.AddMemoryGrainStorage("Archive");
        });
        await using var provider = services.BuildServiceProvider();
        var intruder = provider.GetRequiredService<Silo>();

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => intruder.StartAsync());

        Assert.Contains("cannot join", error.Message);
        Assert.Contains("intruder", error.Message);
        var rows = (await _cluster.MembershipTable.ReadAllAsync()).Entries.Where(e => e.Entry.Silo == intruder.Address).ToArray();
        Assert.All(rows, r => Assert.Equal(SiloStatus.Dead, r.Entry.Status));
        Assert.All(_cluster.Silos, s => Assert.DoesNotContain(intruder.Address, s.Silo.View.ActiveSilos));
        await intruder.KillAsync();
    }
}
