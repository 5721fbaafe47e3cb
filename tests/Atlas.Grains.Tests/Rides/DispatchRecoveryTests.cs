using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Grains.Tests.Cluster;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

[Collection(RidesCollection.Name)]
public sealed class DispatchRecoveryTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    [Fact]
    public async Task A_retried_request_resumes_a_search_that_failed_part_way()
    {
        var pickup = new GeoPoint(-30 + Random.Shared.NextDouble(), 80 + Random.Shared.NextDouble()); // an area of its own
        var driverId = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var riderId = await _scenario.RiderWithFundsAsync();
        var ride = _scenario.Ride((await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0))).RideId);
        // The driver's index shard must load its entries again, and the index store is down.
        await fixture.Cluster.DeactivateAsync(fixture.GrainFactory.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key("economy", pickup, GeoCell.DefaultSizeDegrees)));
        fixture.IndexGate.LoadsFail = true;
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => ride.RequestDriver());
        }
        finally
        {
            fixture.IndexGate.LoadsFail = false;
        }
        var stalled = await ride.Get();
        Assert.Equal((RideStatus.Created, null), (stalled.Status, stalled.OfferedDriverId));
        Assert.Contains(stalled.Timeline, e => e.Name == "requested");

        var retried = await ride.RequestDriver();

        Assert.Equal(driverId, retried.OfferedDriverId);
        Assert.Equal(stalled.HeldAmount, retried.HeldAmount); // held once
        Assert.Single(retried.Timeline, e => e.Name == "requested");
    }
}
