using System.Globalization;
using Atlas.Testing.Servers;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Infrastructure.GeoIndex;
using Atlas.Infrastructure.Tests.Clusters;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.GeoIndex;

/// <summary>
/// Three silos whose geo index shards keep their entries in Redis (<c>AddRedisGeoIndex</c> on the process's shared
/// connection, under a key prefix of their own), and what the tests need of them. A collection fixture: the tests of a
/// collection share it, each in places of its own.
/// </summary>
public class GeoIndexCluster : IAsyncLifetime
{
    public static readonly GeoIndexOptions Options = new() { FlushInterval = TimeSpan.FromMilliseconds(50) };

    private readonly Func<Task<IConnectionMultiplexer>> _connect;
    private IConnectionMultiplexer? _redis;
    private AtlasTestCluster? _cluster;

    /// <summary>A cluster on the tests' shared Redis connection.</summary>
    public GeoIndexCluster() : this(async () => await TestRedisServer.SharedAsync())
    {
    }

    /// <param name="connect">The Redis connection the silos share (the fixture disposes it unless it is the tests' shared one).</param>
    protected GeoIndexCluster(Func<Task<IConnectionMultiplexer>> connect)
    {
        _connect = connect;
    }

    public AtlasTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not started.");

    /// <summary>A store on the cluster's keys, to look at what Redis holds.</summary>
    public RedisGeoIndexStore Store { get; private set; } = null!;

    public IGrainFactory GrainFactory => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        var prefix = GeoTestKeys.NewPrefix("cluster");
        var redis = _redis = await _connect();
        _cluster = await AtlasTestCluster.StartAsync(3, silo =>
        {
            silo.Services.AddSingleton(redis);
            silo.Services.AddRedisGeoIndex(TestRedisServer.ConnectionString, o =>
            {
                o.KeyPrefix = prefix;
                o.OperationTimeout = TimeSpan.FromSeconds(2);
            });
        }, new Dictionary<string, string?>
        {
            ["GeoIndex:FlushInterval"] = Options.FlushInterval.ToString("c", CultureInfo.InvariantCulture),
        });
        Store = new RedisGeoIndexStore(redis, new RedisGeoIndexOptions { KeyPrefix = prefix }, Options);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        Store?.Dispose();
        if (_redis is not null && _redis != await TestRedisServer.SharedAsync())
        {
            await _redis.CloseAsync(allowCommandsToComplete: false);
            _redis.Dispose();
        }
    }

    public static string Shard(GeoPoint at) => GeoIndexShards.Key("economy", at, Options.CellSizeDegrees);

    /// <summary>Registers a driver and puts it online at <paramref name="at"/>, through <paramref name="grains"/>.</summary>
    public static async Task OnlineDriverAsync(IGrainFactory grains, string id, GeoPoint at)
    {
        var driver = grains.GetGrain<IDriverGrain>(id);
        await driver.Register(new DriverRegistration($"Driver {id}", "economy"));
        await driver.UpdateLocation(at, DateTimeOffset.UtcNow);
        await driver.GoOnline();
    }

    /// <summary>The nearest drivers' ids, searched through <paramref name="grains"/>.</summary>
    public static async Task<string[]> SearchAsync(IGrainFactory grains, GeoPoint at, int k = 10) =>
        (await new DriverSearch(grains, Options).FindNearestAsync(at, "economy", k, DateTimeOffset.UtcNow.AddSeconds(-30)))
        .Select(n => n.Id).ToArray();

    /// <summary>Waits until Redis holds each driver in the shard of <paramref name="at"/>.</summary>
    public Task InRedisAsync(GeoPoint at, params string[] drivers) => Eventually.HoldsAsync(async () =>
    {
        var held = (await Store.LoadAsync(Shard(at))).Select(c => c.Id).ToHashSet();
        return drivers.All(held.Contains);
    }, $"Redis to hold {string.Join(", ", drivers)} in shard {Shard(at)}");
}

[Collection(RedisCollection.Name)]
public sealed class GeoIndexClusterTests(GeoIndexCluster geo) : IAsyncLifetime
{
    private static readonly GeoPoint Lisbon = new(38.7223, -9.1393);
    private static readonly GeoPoint Coimbra = new(40.2033, -8.4103);

    /// <summary>Every test starts on three silos, whatever an earlier one killed.</summary>
    public Task InitializeAsync() => geo.Cluster.RestoreSilosAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_driver_indexed_through_one_silo_is_found_by_searches_through_every_silo()
    {
        var silos = geo.Cluster.Silos;
        Assert.Equal(3, silos.Count);

        await GeoIndexCluster.OnlineDriverAsync(AtlasTestCluster.GrainFactoryOf(silos[0]), "ana", Lisbon);

        foreach (var silo in silos)
        {
            Assert.Equal(["ana"], await GeoIndexCluster.SearchAsync(AtlasTestCluster.GrainFactoryOf(silo), Lisbon));
        }
        Assert.Equal(["ana"], await GeoIndexCluster.SearchAsync(geo.GrainFactory, Lisbon));
        await geo.InRedisAsync(Lisbon, "ana");
    }

    [Fact]
    public async Task After_the_silo_hosting_a_shard_is_killed_the_shard_rebuilds_from_Redis_on_a_survivor()
    {
        await GeoIndexCluster.OnlineDriverAsync(geo.GrainFactory, "bruno", Coimbra);
        await GeoIndexCluster.OnlineDriverAsync(geo.GrainFactory, "carla", GeoTestPoints.Offset(Coimbra, 300, 200));
        await geo.InRedisAsync(Coimbra, "bruno", "carla");
        var shard = geo.GrainFactory.GetGrain<IGeoIndexGrain>(GeoIndexCluster.Shard(Coimbra)).GetGrainId();
        var host = await geo.Cluster.HostOfAsync(shard);

        await geo.Cluster.KillAsync(host);

        Assert.Equal(2, geo.Cluster.Silos.Count);
        foreach (var survivor in geo.Cluster.Silos)
        {
            Assert.Equal(["bruno", "carla"], await GeoIndexCluster.SearchAsync(AtlasTestCluster.GrainFactoryOf(survivor), Coimbra));
        }
        var rebuilt = await geo.Cluster.HostOfAsync(shard);
        Assert.NotEqual(host.SiloAddress, rebuilt.SiloAddress);
    }
}

internal static class GeoTestPoints
{
    /// <summary>A point <paramref name="north"/> m north and <paramref name="east"/> m east of <paramref name="from"/>.</summary>
    public static GeoPoint Offset(GeoPoint from, double north, double east) => new(
        from.Latitude + (north / GeoMath.MetersPerDegree),
        from.Longitude + (east / (GeoMath.MetersPerDegree * Math.Cos(from.Latitude * Math.PI / 180))));
}
