using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Tests.Cluster;
using Atlas.Grains.Tests.Wallets;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Atlas.Grains.Tests;

/// <summary>
/// The cluster every ride test runs on: two silos configured as production's (<c>AddAtlasSilo</c>,
/// <c>UseAtlasMemoryStorage</c>) with the test timings, and the stores a database would hold shared by both silos: the
/// ledger, the geo index and the ride event stream.
/// </summary>
public sealed class RidesFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    /// <summary>The wallets' ledger, as stored.</summary>
    public InMemoryLedgerStore Ledger { get; } = new();

    /// <summary>The ledger as the silos see it: a gate in front of <see cref="Ledger"/> that a test can close for one wallet.</summary>
    public GatedLedgerStore LedgerGate { get; }

    /// <summary>The geo index, as stored.</summary>
    public InMemoryGeoIndexStore Index { get; } = new();

    /// <summary>The geo index as the silos see it: <see cref="Index"/>, with loads that a test can make fail.</summary>
    public FlakyGeoIndexStore IndexGate { get; }

    /// <summary>The ride history as the stream consumers feed it (memory streams in the test cluster), able to fail.</summary>
    public FlakyRideHistory Events { get; } = new();

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed yet.");

    public IGrainFactory GrainFactory => Cluster.Client;

    public RidesFixture()
    {
        LedgerGate = new GatedLedgerStore(Ledger);
        IndexGate = new FlakyGeoIndexStore(Index);
    }

    /// <summary>The silos the cluster starts with (and is brought back to after a test killed one).</summary>
    public const short Silos = 2;

    public async Task InitializeAsync()
    {
        var settings = AtlasTestClusters.TestTimings();
        // Small batches, so that group commit is seen with a few calls (GroupCommitTests).
        settings["Wallets:MaxMovementsPerWrite"] = "4";
        _cluster = await AtlasTestClusters.StartAsync(Silos, settings, services =>
        {
            services.AddSingleton<ILedgerStore>(LedgerGate);
            services.AddSingleton<IGeoIndexStore>(IndexGate);
            services.AddSingleton<IRideHistoryProjection>(Events);
        });
    }

    /// <summary>Kills a silo that holds none of the in-memory stores (as a crash beside a database would be).</summary>
    public async Task KillSiloAsync()
    {
        var stores = Cluster.StoreSilo();
        await Cluster.KillAsync(Cluster.Silos.Last(s => s != stores));
    }

    /// <summary>Starts silos until the cluster has <see cref="Silos"/> again.</summary>
    public async Task RestoreSilosAsync()
    {
        while (Cluster.Silos.Count < Silos)
        {
            await Cluster.StartAdditionalSiloAsync();
        }
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }

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

    public async Task<string> OnlineDriverAsync(GeoPoint at, string type = "economy", string? id = null)
    {
        id ??= NewId("driver");
        var driver = Driver(id);
        await driver.Register(new DriverRegistration($"Driver {id}", type));
        await driver.UpdateLocation(at, DateTimeOffset.UtcNow);
        await driver.GoOnline();
        await WaitUntilIndexedAsync(id, at, type);
        return id;
    }

    /// <summary>
    /// Waits until the driver's index shard lists it. A driver tells its shard with a one-way call, which the ride's
    /// search, another caller through another silo, may overtake: a driver "online" to the test must be findable.
    /// </summary>
    public async Task WaitUntilIndexedAsync(string driverId, GeoPoint at, string type)
    {
        var shard = grains.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key(type, at, new GeoIndexOptions().CellSizeDegrees));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!(await shard.Nearest(at, 1, int.MaxValue, DateTimeOffset.MinValue)).Any(n => n.Id == driverId))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Driver {driverId} did not reach the index in time.");
            }
            await Task.Delay(10);
        }
    }

    public async Task<string> RiderWithFundsAsync(long minor = 100_000, string? id = null)
    {
        id ??= NewId("rider");
        await Wallet(id).TopUp($"topup-{Guid.NewGuid():N}", Eur(minor));
        return id;
    }

    public async Task<RideView> CreateRideAsync(string riderId, GeoPoint pickup, GeoPoint dropoff, string type = "economy") =>
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

/// <summary>
/// The ride history as the stream consumers write it, kept in memory; it can be told to fail, as a store that is down
/// would, to prove that the stream delivers again.
/// </summary>
public sealed class FlakyRideHistory : IRideHistoryProjection
{
    private readonly List<RideEventMessage> _events = [];
    private int _failuresLeft;

    /// <summary>Every event stored, in arrival order (a repeated delivery appears again).</summary>
    public IReadOnlyList<RideEventMessage> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>The next <paramref name="count"/> writes of ride events fail.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new IOException("the ride history store is unavailable (test)");
        }
        lock (_events)
        {
            _events.AddRange(events);
        }
        return Task.CompletedTask;
    }

    public Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>A geo index store whose loads can be made to fail, as when the index's server is unreachable.</summary>
public sealed class FlakyGeoIndexStore(InMemoryGeoIndexStore inner) : IGeoIndexStore
{
    private volatile bool _loadsFail;

    /// <summary>Whether shards that activate now fail to load their entries.</summary>
    public bool LoadsFail
    {
        get => _loadsFail;
        set => _loadsFail = value;
    }

    public Task<IReadOnlyList<GeoCandidate>> LoadAsync(string shard, CancellationToken cancellationToken = default) =>
        _loadsFail ? throw new IOException("the geo index store is unavailable (test)") : inner.LoadAsync(shard, cancellationToken);

    public Task<bool> WriteAsync(string shard, IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(shard, upserts, removals, cancellationToken);
}
