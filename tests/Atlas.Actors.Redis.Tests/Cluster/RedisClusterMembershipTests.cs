using System.Diagnostics;
using Atlas.Actors.Membership;
using Atlas.Actors.Redis.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Atlas.Actors.Testing;

namespace Atlas.Actors.Redis.Tests.Cluster;

/// <summary>A three-silo cluster (and its client) whose membership table is in Redis.</summary>
public sealed class RedisClusterMembershipTests : IAsyncLifetime
{
    private RedisMembershipTable _table = null!;
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var clusterId = TestClusterIds.New("cluster");
        _table = new RedisMembershipTable(new RedisMembershipOptions { ConnectionString = TestRedisServer.ConnectionString, ClusterId = clusterId });
        _cluster = new TestClusterBuilder(3) { ClusterId = clusterId, MembershipTable = _table }.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await (await TestRedisServer.SharedAsync()).GetDatabase().KeyDeleteAsync(_table.Key);
        await _table.DisposeAsync();
    }

    [Fact]
    public async Task Three_silos_join_through_redis_and_agree_on_one_view()
    {
        var snapshot = await _table.ReadAllAsync();
        Assert.Equal(_cluster.Silos.Select(s => s.Address).ToHashSet(), snapshot.Entries.Select(e => e.Entry.Silo).ToHashSet());
        Assert.All(snapshot.Entries, e => Assert.Equal(SiloStatus.Active, e.Entry.Status));

        await WaitUntilAsync("every silo's view is at the table's version", async () =>
        {
            var version = (await _table.ReadAllAsync()).Version.Version;
            return _cluster.Silos.All(s => s.Silo.View.Version == version);
        });
        var views = _cluster.Silos.Select(s => s.Silo.View).ToArray();
        Assert.All(views, v => Assert.Equal(views[0].ActiveSilos, v.ActiveSilos));
        Assert.Equal(3, views[0].ActiveSilos.Count);
    }

    [Fact]
    public async Task A_killed_silo_is_declared_dead_in_redis_by_the_survivors_and_leaves_every_view()
    {
        var victim = _cluster.Silos[2];
        var survivors = _cluster.Silos.Take(2).Select(s => s.Address).ToHashSet();

        await _cluster.KillSiloAsync(victim);

        await WaitUntilAsync($"{victim} is Dead in the table", async () =>
            (await _table.ReadAllAsync()).Entries.Single(e => e.Entry.Silo == victim.Address).Entry.Status == SiloStatus.Dead);
        var row = (await _table.ReadAllAsync()).Entries.Single(e => e.Entry.Silo == victim.Address);
        Assert.NotEmpty(row.Entry.SuspectVotes);
        Assert.All(row.Entry.SuspectVotes, v => Assert.Contains(v.Voter, survivors));
        await _cluster.WaitForLivenessToStabilizeAsync(TimeSpan.FromSeconds(15));
        Assert.All(_cluster.Silos, s => Assert.DoesNotContain(victim.Address, s.Silo.View.ActiveSilos));
    }

    private static async Task WaitUntilAsync(string condition, Func<Task<bool>> check)
    {
        var watch = Stopwatch.StartNew();
        while (!await check())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException($"Not reached within 15 s: {condition}.");
            }
            await Task.Delay(20);
        }
    }
}
