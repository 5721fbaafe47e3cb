using Atlas.Actors;
using Atlas.Actors.Testing;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Hosting;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Streams;
using Atlas.Infrastructure.Tests.Streams;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>
/// Ride grains on a two-silo cluster whose rides and drivers publish to Redis Streams under a prefix of their own
/// (each silo with its own connection, as separate processes would have), and the steps of ride scenarios.
/// </summary>
internal sealed class RideCluster : IAsyncDisposable
{
    private RideCluster(TestCluster cluster, string prefix)
    {
        Cluster = cluster;
        Prefix = prefix;
    }

    public TestCluster Cluster { get; }

    public string Prefix { get; }

    private IGrainFactory Grains => Cluster.GrainFactory;

    public static async Task<RideCluster> StartAsync(string prefix)
    {
        var ledger = new InMemoryLedgerStore();
        var index = new InMemoryGeoIndexStore();
        var cluster = new TestClusterBuilder(2) { ClusterId = $"history-{Guid.NewGuid():N}" }.ConfigureSilo(silo =>
        {
            silo.Services.AddSingleton<ILedgerStore>(ledger);
            silo.Services.AddSingleton<IGeoIndexStore>(index);
            silo.Services.AddRedisRideEvents(TestRedis.ConnectionString, o =>
            {
                var test = TestRedis.Options(prefix);
                o.KeyPrefix = test.KeyPrefix;
                o.RidePartitions = test.RidePartitions;
                o.LocationPartitions = test.LocationPartitions;
                o.OperationTimeout = test.OperationTimeout;
                o.ConnectTimeout = test.ConnectTimeout;
                o.LocationFlushInterval = test.LocationFlushInterval;
            });
            silo.Services.AddAtlasGrains();
            silo.Services.Configure<DispatchOptions>(o =>
            {
                o.OfferTimeout = TimeSpan.FromSeconds(3);
                o.PaymentRetryInterval = TimeSpan.FromSeconds(1);
            });
            silo.Services.Configure<GeoIndexOptions>(o => o.FlushInterval = TimeSpan.FromMilliseconds(50));
        }).Build();
        await cluster.DeployAsync();
        return new RideCluster(cluster, prefix);
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();

    /// <summary>A place no other test uses, so that no other test's driver is found there.</summary>
    public static GeoPoint SomewhereNew() => new(Random.Shared.Next(-60, 60) + Random.Shared.NextDouble() * 0.5, Random.Shared.Next(-170, 170) + Random.Shared.NextDouble() * 0.5);

    public static GeoPoint Offset(GeoPoint from, double metersNorth) => new(from.Latitude + metersNorth / 111_195.0, from.Longitude);

    public IOrderGrain Ride(string id) => Grains.GetGrain<IOrderGrain>(id);

    public IDriverGrain Driver(string id) => Grains.GetGrain<IDriverGrain>(id);

    public async Task<string> OnlineDriverAsync(GeoPoint at)
    {
        var id = $"driver-{Guid.NewGuid():N}";
        await Driver(id).Register(new DriverRegistration($"Driver {id}", VehicleType.Economy));
        await Driver(id).UpdateLocation(at, DateTimeOffset.UtcNow);
        await Driver(id).GoOnline();
        return id;
    }

    public async Task<string> RiderWithFundsAsync()
    {
        var id = $"rider-{Guid.NewGuid():N}";
        await Grains.GetGrain<IWalletGrain>(WalletIds.ForUser(id)).TopUp($"topup-{Guid.NewGuid():N}", new Money(100_000, Currency.Eur));
        return id;
    }

    public async Task<RideView> CreateRideAsync(string riderId, GeoPoint pickup) =>
        await Ride($"ride-{Guid.NewGuid():N}").Create(new RideRequest(riderId, pickup, Offset(pickup, 3_000), VehicleType.Economy));

    /// <summary>A ride from request to settled payment; returns it as the rider finally sees it.</summary>
    public async Task<(RideView Ride, string DriverId)> FinishedRideAsync()
    {
        var pickup = SomewhereNew();
        var driverId = await OnlineDriverAsync(Offset(pickup, 200));
        var riderId = await RiderWithFundsAsync();
        var rideId = (await CreateRideAsync(riderId, pickup)).RideId;
        await Ride(rideId).RequestDriver();
        await Ride(rideId).AcceptOffer(driverId);
        await Ride(rideId).MarkArrived(driverId);
        await Ride(rideId).StartTrip(driverId);
        for (var i = 1; i <= 5; i++)
        {
            await Driver(driverId).UpdateLocation(Offset(pickup, 500 * i), DateTimeOffset.UtcNow);
        }
        await Ride(rideId).FinishTrip(driverId);
        return (await WaitForRideAsync(rideId, r => r.PaymentSettled, "settled payments"), driverId);
    }

    public async Task<RideView> WaitForRideAsync(string rideId, Func<RideView, bool> condition, string what)
    {
        RideView ride = null!;
        await Eventually.HoldsAsync(async () => condition(ride = await Ride(rideId).Get()), $"ride {rideId} to reach {what}",
            describe: () => Task.FromResult($"it is {ride?.Status}: {string.Join(", ", ride?.Timeline.Select(e => e.Name) ?? [])}"));
        return ride;
    }
}
