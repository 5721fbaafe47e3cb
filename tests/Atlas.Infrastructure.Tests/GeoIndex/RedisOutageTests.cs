using Atlas.Testing.Servers;
using Atlas.Grains.Geo;
using Atlas.Infrastructure.GeoIndex;

namespace Atlas.Infrastructure.Tests.GeoIndex;

/// <summary>The outage tests' cluster: on a Redis connection of its own, which the restarts of Redis must not break for other tests.</summary>
public sealed class GeoIndexOutageCluster() : GeoIndexCluster(async () => await TestRedisServer.ConnectAsync());

/// <summary>The geo index while its Redis is stopped and after it is back (empty: the test Redis keeps no data).</summary>
[Collection(GeoIndexOutageCollection.Name)]
public sealed class RedisOutageTests(GeoIndexOutageCluster geo) : IAsyncLifetime
{
    private static readonly GeoPoint Porto = new(41.1579, -8.6291);
    private static readonly GeoPoint Faro = new(37.0194, -7.9304);

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>A test that failed half-way must not leave Redis down for the next.</summary>
    public Task DisposeAsync() => TestRedisServer.StartAsync();

    [Fact]
    public async Task Searches_answer_from_memory_during_an_outage_and_its_positions_reach_Redis_after_it()
    {
        var grains = geo.GrainFactory;
        await GeoIndexCluster.OnlineDriverAsync(grains, "before", Porto);
        await geo.InRedisAsync(Porto, "before");
        // Activates every shard the search asks (a busy city has them all active).
        Assert.Equal(["before"], await GeoIndexCluster.SearchAsync(grains, Porto));
        var nearby = GeoTestPoints.Offset(Porto, 100, 100);

        await TestRedisServer.StopAsync();
        try
        {
            Assert.Equal(["before"], await GeoIndexCluster.SearchAsync(grains, Porto));
            await GeoIndexCluster.OnlineDriverAsync(grains, "during", nearby);
            Assert.Equal(["before", "during"], await GeoIndexCluster.SearchAsync(grains, Porto));
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        // The position taken during the outage is written, and the one Redis lost in its restart is written again.
        await geo.InRedisAsync(Porto, "before", "during");
        Assert.Equal(["before", "during"], await GeoIndexCluster.SearchAsync(grains, Porto));
    }

    [Fact]
    public async Task A_shard_that_cannot_load_during_an_outage_fails_the_search_clearly_and_loads_once_Redis_is_back()
    {
        var grains = geo.GrainFactory;

        await TestRedisServer.StopAsync();
        try
        {
            var error = await Assert.ThrowsAsync<GeoIndexStoreUnavailableException>(() => GeoIndexCluster.SearchAsync(grains, Faro));
            Assert.Contains("unavailable", error.Message, StringComparison.Ordinal);
            Assert.StartsWith("economy:", error.Shard, StringComparison.Ordinal);
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        await Eventually.HoldsAsync(async () => (await GeoIndexCluster.SearchAsync(grains, Faro)).Length == 0, "the search to succeed");
        await GeoIndexCluster.OnlineDriverAsync(grains, "after", Faro);
        Assert.Equal(["after"], await GeoIndexCluster.SearchAsync(grains, Faro));
        await geo.InRedisAsync(Faro, "after");
    }
}
