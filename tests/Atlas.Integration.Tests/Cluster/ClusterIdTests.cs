using Atlas.Actors;
using Atlas.Actors.Client;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Redis;
using Atlas.Actors.Serialization;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>Silo processes of another cluster id share the servers but never the cluster.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ClusterIdTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_silo_of_another_cluster_id_never_joins_and_what_it_sends_to_this_cluster_is_refused()
    {
        var intruderCluster = $"intruder-{Guid.NewGuid():N}";
        await using var intruder = SiloProcess.Start(intruderCluster, SiloProcess.FreePort());
        await intruder.WaitUntilActiveAsync();

        // The cluster's membership table still lists only its own silos, and they still serve.
        using var table = RedisMembershipTable.ForClient(new ClientOptions { ClusterId = _cluster.ClusterId }, TestEnvironment.Redis);
        var rows = (await table.ReadAllAsync()).Entries.Select(e => e.Entry.Silo.Port).ToArray();
        Assert.Equal(_cluster.Silos.Select(s => s.Port).Order(), rows.Order());
        Assert.Equal(5, (await _cluster.Grains.GetGrain<IProbeGrain>("still-here").Ping(5)).Value);

        // Something of the intruder's cluster that finds this cluster's silos (here: its table) is refused at the handshake.
        await using var stranger = new ClusterClient(new ClientOptions { ClusterId = intruderCluster }, new MessagingOptions(), new SerializationOptions(),
            table, new TcpTransport(new TcpTransportOptions(), NullLoggerFactory.Instance), NullLoggerFactory.Instance);
        await stranger.ConnectAsync();
        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => stranger.GrainFactory.GetGrain<IProbeGrain>("stranger").Ping(1));
        Assert.Contains($"cluster id '{intruderCluster}' does not match this silo's cluster '{_cluster.ClusterId}'", error.Message);
        // The silo says why it refused (its output is read asynchronously: the line may arrive after the client's error).
        await TestServices.UntilAsync(() => Task.FromResult(_cluster.Silos.SelectMany(s => s.Output).Any(line => line.Contains(intruderCluster, StringComparison.Ordinal))),
            "a silo to log the refused cluster id", TimeSpan.FromSeconds(10));
    }
}
