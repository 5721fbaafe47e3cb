using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Xunit.Abstractions;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>PostgreSQL and Redis go away and come back under a running cluster: clear errors meanwhile, no restart needed after.</summary>
[Collection(ProcessCollection.Name)]
public sealed class OutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync()
    {
        // Whatever a test left stopped runs again for the next one.
        await TestPostgresServer.StartAsync();
        await TestRedisServer.StartAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_stored_writes_fail_naming_it_grains_without_storage_calls_answer_and_after_it_returns_writes_work_again()
    {
        var probe = _cluster.Grains.GetGrain<IProbeGrain>($"pg-{Guid.NewGuid():N}");
        var bystanders = Enumerable.Range(0, 12).Select(_ => _cluster.Grains.GetGrain<IProbeGrain>($"pg-{Guid.NewGuid():N}")).ToArray();
        Assert.Equal(1, await probe.Increment());
        await Task.WhenAll(bystanders.Select(b => b.Ping(0)));

        await TestPostgresServer.StopAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => probe.Increment());
        output.WriteLine($"a write while PostgreSQL is down: {error.GetType().FullName}: {error.Message}");
        Assert.Contains("PostgreSQL", error.Message, StringComparison.Ordinal);
        // Active grains answer what needs no storage, on every silo.
        Assert.Equal(Enumerable.Range(1, 12), (await Task.WhenAll(bystanders.Select((b, i) => b.Ping(i + 1)))).Select(a => a.Value));
        Assert.Equal(1, await probe.Get());

        await TestPostgresServer.StartAsync();
        // The failed write counted for nothing; the next one is the second.
        Assert.Equal(2, await RetryWhileUnavailableAsync(() => probe.Increment()));
        Assert.Equal(2, await probe.Get());
    }

    [Fact]
    public async Task While_Redis_is_down_the_running_cluster_keeps_serving_and_after_it_returns_a_new_silo_joins()
    {
        var keys = Enumerable.Range(0, 30).Select(i => $"redis-{Guid.NewGuid():N}-{i}").ToArray();
        Assert.All(await Task.WhenAll(keys.Select(k => _cluster.Grains.GetGrain<IProbeGrain>(k).Increment())), v => Assert.Equal(1, v));
        // A production Redis keeps its data across a restart (docker-compose runs it with appendonly); the test server
        // keeps none, so the test carries the membership table across the restart as Redis' append-only file would.
        var redis = (await TestRedisServer.SharedAsync()).GetDatabase();
        var table = $"{_cluster.ClusterId}/members/{_cluster.ClusterId}";
        var saved = await redis.KeyDumpAsync(table);
        Assert.NotNull(saved);

        await TestRedisServer.StopAsync();
        // Membership lives in Redis; silos and client keep the view they have, and calls, writes and new activations go on.
        for (var round = 2; round <= 4; round++)
        {
            Assert.All(await Task.WhenAll(keys.Select(k => _cluster.Grains.GetGrain<IProbeGrain>(k).Increment())), v => Assert.Equal(round, v));
        }
        var fresh = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => _cluster.Grains.GetGrain<IProbeGrain>($"redis-new-{Guid.NewGuid():N}").Increment()));
        Assert.All(fresh, v => Assert.Equal(1, v));
        Assert.All(_cluster.Silos, s => Assert.False(s.HasExited));

        await TestRedisServer.StartAsync();
        await redis.KeyRestoreAsync(table, saved);
        // The cluster takes up its table again: a new silo joins the three, and the grains answer.
        await _cluster.AddSiloAsync();
        await _cluster.WaitForActiveSilosAsync(4, TimeSpan.FromSeconds(60));
        Assert.All(await Task.WhenAll(keys.Select(k => _cluster.Grains.GetGrain<IProbeGrain>(k).Increment())), v => Assert.Equal(5, v));
    }

    private static async Task<T> RetryWhileUnavailableAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (exception.Message.Contains("PostgreSQL", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
