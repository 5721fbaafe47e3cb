using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Tests.Cluster;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

/// <summary>
/// A cluster whose rides' durable reminders tick every 2 s (<c>Dispatch:BackstopPeriod</c>; Orleans' minimum reminder
/// period lowered to 1 s, which Orleans only warns about), so that a test can wait for the backstop.
/// </summary>
public sealed class BackstopFixture : IAsyncLifetime
{
    public static readonly TimeSpan BackstopPeriod = TimeSpan.FromSeconds(2);

    private InProcessTestCluster? _cluster;

    public FlakyRideHistory Events { get; } = new();

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed yet.");

    public async Task InitializeAsync()
    {
        var settings = AtlasTestClusters.TestTimings();
        settings["Dispatch:BackstopPeriod"] = BackstopPeriod.ToString();
        settings["Atlas:Reminders:MinimumReminderPeriod"] = "00:00:01";
        var ledger = new InMemoryLedgerStore();
        var index = new InMemoryGeoIndexStore();
        _cluster = await AtlasTestClusters.StartAsync(2, settings, services =>
        {
            services.AddSingleton<ILedgerStore>(ledger);
            services.AddSingleton<IGeoIndexStore>(index);
            services.AddSingleton<IRideHistoryProjection>(Events);
        });
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// When the silo holding a ride dies, the ride's grain timer dies with it; the durable reminder wakes the ride on a
/// survivor, which then expires the offer at its deadline. What survives the kill is what a database would hold: the
/// grain state and the reminder table (Orleans' in-memory versions are grains, kept on the silo that is not killed —
/// see <see cref="StoresOnOldestSiloResolver"/>; killing their silo would lose every reminder, which this test does not claim
/// to survive). The reminder is registered well before the kill: one registered as its silo dies can reach the table
/// after the survivor read it, and then waits for Orleans' next read of the table (<c>ReminderOptions.RefreshReminderListPeriod</c>,
/// 5 min). <c>KillSiloAsync</c> stops the silo's host without deactivating anything, but the silo still marks itself dead in
/// the membership table, so the survivor learns of it at once: the failure detection of a real crash is not part of this
/// test. Runs in the rides collection, so that no other cluster competes for the machine while it is timed.
/// </summary>
[Collection(RidesCollection.Name)]
public sealed class OfferBackstopTests(BackstopFixture fixture) : IClassFixture<BackstopFixture>
{
    [Fact]
    public async Task After_the_rides_silo_is_killed_the_reminder_carries_the_offer_on_from_a_survivor()
    {
        var cluster = fixture.Cluster;
        var scenario = new RideScenario(cluster.Client);
        var victim = cluster.Silos.Single(s => s != cluster.StoreSilo());
        var survivor = cluster.StoreSilo().SiloAddress;
        var pickup = new GeoPoint(12.97, 77.59);
        var silent = await scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var next = await scenario.OnlineDriverAsync(Offset(pickup, 500, 0));
        var riderId = await scenario.RiderWithFundsAsync();
        var ride = scenario.Ride(NewId("ride"));
        await Placement.OnSilo(victim.SiloAddress, () => ride.Create(new RideRequest(riderId, pickup, Offset(pickup, 1_000, 0), "economy")));
        Assert.Equal(victim.SiloAddress, cluster.SiloOf(ride));

        var offered = await ride.RequestDriver();
        await cluster.KillAsync(victim);

        Assert.Equal(silent, offered.OfferedDriverId);
        var deadline = offered.OfferExpiresAt!.Value;
        // Nothing of the ride runs now: only its stored state and its reminder are left. Watched without calling the ride
        // (a call would activate it and re-arm its timer): through its published events and the next driver.
        var expired = await WaitForEventAsync(ride.GetPrimaryKeyString(), "offer_expired", TimeSpan.FromSeconds(30));
        Assert.Equal(ride.GetPrimaryKeyString(), (await scenario.WaitForOfferAsync(next)).RideId);
        Assert.Equal(survivor, cluster.SiloOf(ride));
        // Not before the deadline, and at most a backstop period (plus the kill's detection) after it.
        Assert.InRange(expired.At - deadline, TimeSpan.FromMilliseconds(-50), BackstopFixture.BackstopPeriod + TimeSpan.FromSeconds(3));
        Assert.Equal(RideStatus.Matched, (await ride.AcceptOffer(next)).Status);
    }

    private async Task<RideEventMessage> WaitForEventAsync(string rideId, string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (fixture.Events.Events.FirstOrDefault(e => e.RideId == rideId && e.Name == name) is { } found)
            {
                return found;
            }
            Assert.True(DateTime.UtcNow < deadline, $"ride {rideId} published no {name} event in time");
            await Task.Delay(20);
        }
    }
}
