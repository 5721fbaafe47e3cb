using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Cluster;
using Atlas.Actors.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>The failover tests with the silos and the client on real sockets.</summary>
[Collection(SocketsCollection.Name)]
public sealed class TcpFailoverTests : FailoverTests
{
    protected override TestClusterBuilder CreateBuilder() => new TestClusterBuilder(3).UseTcpTransport();
}

/// <summary>Reconnection over TCP: broken connections and restarted silos.</summary>
[Collection(SocketsCollection.Name)]
public sealed class TcpClusterTests : IAsyncLifetime
{
    private readonly TestProbe _probe = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = ActorsFixture.Configure(new TestClusterBuilder(2).UseTcpTransport(), _probe).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_broken_connection_is_reopened_by_a_later_call()
    {
        var silo = _cluster.Silos[1];
        var key = Enumerable.Range(0, 1000).Select(i => $"re-{i}-{Guid.NewGuid():N}").First(k => _cluster.OwnerOf(new GrainId("counter", k)) == silo);
        var counter = _cluster.GrainFactory.GetGrain<ICounterGrain>(key);
        Assert.Equal(1, await counter.Increment());
        var transport = (TcpTransport)silo.Services.GetRequiredService<ITransport>();
        var fromClient = Assert.Single(transport.Connections, c => c.Remote.IsClient);

        fromClient.Close(new IOException("broken by the test"));

        Assert.Equal(1, await RetryAsync(() => counter.Get()));
        await Wait.UntilAsync(() => transport.Connections.Count(c => c.Remote.IsClient) == 1 && !transport.Connections.Contains(fromClient),
            "the broken connection to be replaced by one new connection");
        Assert.Equal(2, await counter.Increment());
    }

    [Fact]
    public async Task A_restarted_silo_is_reached_at_its_new_generation_on_the_same_port()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"gen-{i}-{Guid.NewGuid():N}").ToArray();
        await Task.WhenAll(keys.Select(k => _cluster.GrainFactory.GetGrain<ICounterGrain>(k).Increment()));
        var old = _cluster.Silos[1];

        var restarted = await _cluster.RestartSiloAsync(old);
        await _cluster.WaitForLivenessToStabilizeAsync();

        Assert.Equal(old.Port, restarted.Port);
        Assert.NotEqual(old.Address.Generation, restarted.Address.Generation);
        foreach (var key in keys)
        {
            Assert.Equal(1, await RetryAsync(() => _cluster.GrainFactory.GetGrain<ICounterGrain>(key).Get()));
        }
        Assert.True(restarted.Silo.ActivationCount > 0, "no grain came back to the restarted silo");
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (SiloUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }
}
