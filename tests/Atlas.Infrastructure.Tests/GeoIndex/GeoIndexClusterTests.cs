using Atlas.Testing.Servers;
using Atlas.Actors;
using Atlas.Actors.Testing;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Hosting;
using Atlas.Grains.Rides;
using Atlas.Infrastructure.GeoIndex;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.GeoIndex;

/// <summary>Silos configured with the Redis geo index store, and what one test needs of them.</summary>
internal sealed class GeoIndexCluster : IAsyncDisposable
{
    public static readonly GeoIndexOptions Options = new() { FlushInterval = TimeSpan.FromMilliseconds(50) };

    private GeoIndexCluster(TestCluster cluster, RedisGeoIndexStore store)
    {
        Cluster = cluster;
        Store = store;
    }

    public TestCluster Cluster { get; }

    /// <summary>A store on the cluster's keys, to look at what Redis holds.</summary>
    public RedisGeoIndexStore Store { get; }

    public static async Task<GeoIndexCluster> StartAsync(int silos, IConnectionMultiplexer redis)
    {
        var prefix = GeoTestKeys.NewPrefix("cluster");
        var cluster = new TestClusterBuilder(silos).ConfigureSilo(silo =>
        {
            silo.Services.AddSingleton(redis);
            silo.Services.AddRedisGeoIndex(TestRedisServer.ConnectionString, o =>
            {
                o.KeyPrefix = prefix;
                o.OperationTimeout = TimeSpan.FromSeconds(2);
            });
            silo.Services.AddAtlasGrains();
            silo.Services.Configure<GeoIndexOptions>(o => o.FlushInterval = Options.FlushInterval);
        }).Build();
        await cluster.DeployAsync();
        return new GeoIndexCluster(cluster, new RedisGeoIndexStore(redis, new RedisGeoIndexOptions { KeyPrefix = prefix }, Options));
    }

    public static string Shard(GeoPoint at) => GeoIndexShards.Key(VehicleType.Economy, at, Options.CellSizeDegrees);

    /// <summary>Registers a driver and puts it online at <paramref name="at"/>, through <paramref name="grains"/>.</summary>
    public static async Task OnlineDriverAsync(IGrainFactory grains, string id, GeoPoint at)
    {
        var driver = grains.GetGrain<IDriverGrain>(id);
        await driver.Register(new DriverRegistration($"Driver {id}", VehicleType.Economy));
        await driver.UpdateLocation(at, DateTimeOffset.UtcNow);
        await driver.GoOnline();
    }

    /// <summary>The nearest drivers' ids, searched through <paramref name="grains"/>.</summary>
    public static async Task<string[]> SearchAsync(IGrainFactory grains, GeoPoint at, int k = 10) =>
        (await new DriverSearch(grains, Options).FindNearestAsync(at, VehicleType.Economy, k, DateTimeOffset.UtcNow.AddSeconds(-30)))
        .Select(n => n.Id).ToArray();

    /// <summary>Waits until Redis holds each driver in the shard of <paramref name="at"/>.</summary>
    public Task InRedisAsync(GeoPoint at, params string[] drivers) => Eventually.HoldsAsync(async () =>
    {
        var held = (await Store.LoadAsync(Shard(at))).Select(c => c.Id).ToHashSet();
        return drivers.All(held.Contains);
    }, $"Redis to hold {string.Join(", ", drivers)} in shard {Shard(at)}");

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(RedisCollection.Name)]
public sealed class GeoIndexClusterTests
{
    private static readonly GeoPoint Lisbon = new(38.7223, -9.1393);

    [Fact]
    public async Task A_driver_indexed_through_one_silo_is_found_by_searches_through_every_silo()
    {
        await using var geo = await GeoIndexCluster.StartAsync(3, await TestRedisServer.SharedAsync());
        var silos = geo.Cluster.Silos;

        await GeoIndexCluster.OnlineDriverAsync(silos[0].Silo.GrainFactory, "ana", Lisbon);

        foreach (var silo in silos)
        {
            Assert.Equal(["ana"], await GeoIndexCluster.SearchAsync(silo.Silo.GrainFactory, Lisbon));
        }
        Assert.Equal(["ana"], await GeoIndexCluster.SearchAsync(geo.Cluster.Client.GrainFactory, Lisbon));
        await geo.InRedisAsync(Lisbon, "ana");
    }

    [Fact]
    public async Task After_the_silo_hosting_a_shard_is_killed_the_shard_rebuilds_from_Redis_on_a_survivor()
    {
        await using var geo = await GeoIndexCluster.StartAsync(3, await TestRedisServer.SharedAsync());
        await GeoIndexCluster.OnlineDriverAsync(geo.Cluster.GrainFactory, "bruno", Lisbon);
        await GeoIndexCluster.OnlineDriverAsync(geo.Cluster.GrainFactory, "carla", GeoTestPoints.Offset(Lisbon, 300, 200));
        await geo.InRedisAsync(Lisbon, "bruno", "carla");
        var shard = new GrainId("geoindex", GeoIndexCluster.Shard(Lisbon));
        var host = Assert.Single(geo.Cluster.Silos, s => s.Silo.HasActivation(shard));

        await geo.Cluster.KillSiloAsync(host);
        await geo.Cluster.WaitForLivenessToStabilizeAsync(TimeSpan.FromSeconds(20));

        foreach (var survivor in geo.Cluster.Silos)
        {
            Assert.Equal(["bruno", "carla"], await GeoIndexCluster.SearchAsync(survivor.Silo.GrainFactory, Lisbon));
        }
        Assert.Single(geo.Cluster.Silos, s => s.Silo.HasActivation(shard));
    }
}

internal static class GeoTestPoints
{
    /// <summary>A point <paramref name="north"/> m north and <paramref name="east"/> m east of <paramref name="from"/>.</summary>
    public static GeoPoint Offset(GeoPoint from, double north, double east) => new(
        from.Latitude + (north / GeoMath.MetersPerDegree),
        from.Longitude + (east / (GeoMath.MetersPerDegree * Math.Cos(from.Latitude * Math.PI / 180))));
}
