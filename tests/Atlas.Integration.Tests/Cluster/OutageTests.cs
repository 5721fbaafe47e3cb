using Atlas.Actors;
using Atlas.Actors.Persistence;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>Redis and PostgreSQL go away and come back: clear errors meanwhile, recovery after, no restart needed.</summary>
[Collection(ProcessCollection.Name)]
public sealed class OutageTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(2);

    public async Task DisposeAsync()
    {
        await TestPostgresServer.StartAsync();
        await TestRedisServer.StartAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_writes_fail_clearly_and_after_it_returns_they_work_again()
    {
        var probe = _cluster.Grains.GetGrain<IProbeGrain>($"pg-{Guid.NewGuid():N}");
        var bystander = _cluster.Grains.GetGrain<IProbeGrain>($"pg-{Guid.NewGuid():N}");
        Assert.Equal(1, await probe.Increment());
        await bystander.Ping(0);

        await TestPostgresServer.StopAsync();
        var error = await Assert.ThrowsAsync<GrainStorageUnavailableException>(() => probe.Increment());
        Assert.Contains("PostgreSQL", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(7, (await bystander.Ping(7)).Value); // an active grain that needs no storage still answers

        await TestPostgresServer.StartAsync();
        var stored = await RetryAsync(() => probe.Increment());
        Assert.Equal(2, stored);
    }

    [Fact]
    public async Task While_Redis_is_down_the_cluster_keeps_serving_and_after_it_returns_a_new_silo_can_join()
    {
        var keys = Enumerable.Range(0, 10).Select(i => $"redis-{Guid.NewGuid():N}-{i}").ToArray();

        await TestRedisServer.StopAsync();
        Assert.All(await Task.WhenAll(keys.Select(k => _cluster.Grains.GetGrain<IProbeGrain>(k).Ping(3))), a => Assert.Equal(3, a.Value));

        await TestRedisServer.StartAsync();
        // Redis restarted empty: the silos write their rows again, and a new silo joins the cluster.
        await _cluster.AddSiloAsync();
        await _cluster.WaitForViewAsync(3, TimeSpan.FromSeconds(60));
        Assert.All(await Task.WhenAll(keys.Select(k => _cluster.Grains.GetGrain<IProbeGrain>(k).Ping(4))), a => Assert.Equal(4, a.Value));
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (exception is GrainStorageUnavailableException or InconsistentStateException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
