using Atlas.Actors;
using Atlas.Actors.Hosting;
using Atlas.Actors.Testing;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Hosting;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Grains.Tests;

/// <summary>A cluster running the ride grains, with stores shared by every silo (as a database would be).</summary>
public class RidesFixture : ClusterFixture
{
    public InMemoryLedgerStore Ledger { get; } = new();

    public InMemoryGeoIndexStore Index { get; } = new();

    public FlakyRideEventSink Events { get; } = new();

    protected virtual int Silos => 2;

    protected override TestClusterBuilder CreateBuilder() => Configure(new TestClusterBuilder(Silos), Ledger, Index, Events);

    public static TestClusterBuilder Configure(TestClusterBuilder builder, InMemoryLedgerStore ledger, InMemoryGeoIndexStore index, IRideEventSink? events = null) =>
        builder.ConfigureSilo(silo =>
        {
            silo.Services.AddSingleton<ILedgerStore>(ledger);
            silo.Services.AddSingleton<IGeoIndexStore>(index);
            if (events is not null)
            {
                silo.Services.AddSingleton(events);
            }
            silo.Services.AddAtlasGrains();
            silo.Services.Configure<DispatchOptions>(o =>
            {
                o.OfferTimeout = TimeSpan.FromSeconds(3);
                o.PaymentRetryInterval = TimeSpan.FromSeconds(1);
            });
            silo.Services.Configure<GeoIndexOptions>(o => o.FlushInterval = TimeSpan.FromMilliseconds(50));
        });

    public RideScenario Scenario() => new(GrainFactory);
}

[CollectionDefinition(Name)]
public sealed class RidesCollection : ICollectionFixture<RidesFixture>
{
    public const string Name = "rides";
}

/// <summary>Steps of ride scenarios, written once.</summary>
public sealed class RideScenario(IGrainFactory grains)
{
    public static readonly GeoPoint Paris = new(48.8566, 2.3522);

    public static Money Eur(long minor) => new(minor, Currency.Eur);

    public IGrainFactory Grains => grains;

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A point <paramref name="metersNorth"/> north and <paramref name="metersEast"/> east of <paramref name="from"/>.</summary>
    public static GeoPoint Offset(GeoPoint from, double metersNorth, double metersEast) => new(
        from.Latitude + metersNorth / 111_195.0,
        from.Longitude + metersEast / (111_195.0 * Math.Cos(from.Latitude * Math.PI / 180)));

    public IDriverGrain Driver(string id) => grains.GetGrain<IDriverGrain>(id);

    public IOrderGrain Ride(string id) => grains.GetGrain<IOrderGrain>(id);

    public IWalletGrain Wallet(string userId) => grains.GetGrain<IWalletGrain>(WalletIds.ForUser(userId));

    public IWalletGrain PlatformWallet => grains.GetGrain<IWalletGrain>(WalletIds.Platform);

    public async Task<string> OnlineDriverAsync(GeoPoint at, VehicleType type = VehicleType.Economy, string? id = null)
    {
        id ??= NewId("driver");
        var driver = Driver(id);
        await driver.Register(new DriverRegistration($"Driver {id}", type));
        await driver.UpdateLocation(at, DateTimeOffset.UtcNow);
        await driver.GoOnline();
        return id;
    }

    public async Task<string> RiderWithFundsAsync(long minor = 100_000, string? id = null)
    {
        id ??= NewId("rider");
        await Wallet(id).TopUp($"topup-{Guid.NewGuid():N}", Eur(minor));
        return id;
    }

    public async Task<RideView> CreateRideAsync(string riderId, GeoPoint pickup, GeoPoint dropoff, VehicleType type = VehicleType.Economy) =>
        await Ride(NewId("ride")).Create(new RideRequest(riderId, pickup, dropoff, type));

    /// <summary>Polls until the condition holds on the ride.</summary>
    public async Task<RideView> WaitForRideAsync(string rideId, Func<RideView, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var ride = await Ride(rideId).Get();
            if (condition(ride))
            {
                return ride;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Ride {rideId} did not reach {what ?? "the expected state"}: it is {ride.Status} ({string.Join(", ", ride.Timeline.Select(e => e.Name))}).");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the driver holds an offer.</summary>
    public async Task<RideOffer> WaitForOfferAsync(string driverId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await Driver(driverId).GetOffer() is { } offer)
            {
                return offer;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Driver {driverId} got no offer in time.");
            }
            await Task.Delay(20);
        }
    }
}

/// <summary>An event sink that can be told to fail, to prove the rides retry.</summary>
public sealed class FlakyRideEventSink : IRideEventSink
{
    private readonly InMemoryRideEventSink _inner = new();
    private int _failuresLeft;

    public IReadOnlyList<RideEventMessage> Events => _inner.Events;

    /// <summary>The next <paramref name="count"/> publications fail.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public Task PublishAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default) =>
        Interlocked.Decrement(ref _failuresLeft) >= 0
            ? throw new IOException("the event stream is unavailable (test)")
            : _inner.PublishAsync(events, cancellationToken);
}
