using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Tests.Clusters;
using Atlas.Infrastructure.Tests.Streams;
using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>
/// Ride grains on a two-silo cluster composed as a silo process is: rides and drivers publish on the platform's stream
/// provider — Atlas' Redis Streams provider, chosen by <c>ConnectionStrings:Redis</c> as on a silo process, its queues
/// under a prefix of the cluster's own — and the stream consumers project into PostgreSQL (<c>AddPostgresRideHistory</c>),
/// which serves the history; the ledger and the geo index are in memory, shared by the silos. Also the steps of ride
/// scenarios.
/// </summary>
internal sealed class RideCluster : IAsyncDisposable
{
    private RideCluster(AtlasTestCluster cluster, string prefix, CapturingLoggerProvider logs)
    {
        Cluster = cluster;
        Prefix = prefix;
        Logs = logs;
    }

    public AtlasTestCluster Cluster { get; }

    public string Prefix { get; }

    /// <summary>What the silos' projectors (and the rest of Atlas on them) logged.</summary>
    public CapturingLoggerProvider Logs { get; }

    /// <summary>The ride history as a silo serves it.</summary>
    public IRideHistoryReader Reader => Cluster.Silos[0].ServiceProvider.GetRequiredService<IRideHistoryReader>();

    private IGrainFactory Grains => Cluster.GrainFactory;

    public static async Task<RideCluster> StartAsync(string prefix)
    {
        var ledger = new InMemoryLedgerStore();
        var index = new InMemoryGeoIndexStore();
        var logs = new CapturingLoggerProvider();
        var cluster = await AtlasTestCluster.StartAsync(2, silo =>
        {
            silo.Services.AddLogging(logging => logging
                .AddProvider(logs)
                .AddFilter<CapturingLoggerProvider>((category, _) => category?.StartsWith("Atlas.", StringComparison.Ordinal) == true));
            silo.Services.Replace(ServiceDescriptor.Singleton<ILedgerStore>(ledger));
            silo.Services.Replace(ServiceDescriptor.Singleton<IGeoIndexStore>(index));
            silo.Services.AddPostgresRideHistory(TestPostgresServer.ConnectionString);
        }, new Dictionary<string, string?>
        {
            ["Dispatch:OfferTimeout"] = "00:00:03",
            ["Dispatch:PaymentRetryInterval"] = "00:00:01",
            ["GeoIndex:FlushInterval"] = "00:00:00.050",
            ["ConnectionStrings:Redis"] = TestRedis.ConnectionString,
            ["Atlas:Streams:Redis:KeyPrefix"] = prefix,
            ["Atlas:Streams:Queues"] = "4",
            // Rides are offered and accepted (the built-in default city assigns at once).
            ["Markets:Cities:default:Dispatch"] = "offer",
        });
        return new RideCluster(cluster, prefix, logs);
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
        await Driver(id).Register(new DriverRegistration($"Driver {id}", "economy"));
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
        await Ride($"ride-{Guid.NewGuid():N}").Create(new RideRequest(riderId, pickup, Offset(pickup, 3_000), "economy", PaymentMethod: Atlas.Grains.Markets.PaymentMethod.Wallet));

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
