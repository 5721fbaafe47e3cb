using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Drivers;

[Collection(RidesCollection.Name)]
public sealed class DriverTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    private static RideOffer OfferFor(string rideId, string type = "economy") =>
        new(rideId, type, Paris, Paris, Eur(500), DateTimeOffset.UtcNow.AddSeconds(15));

    [Fact]
    public async Task An_unregistered_driver_is_unknown()
    {
        var driver = _scenario.Driver(NewId("ghost"));

        await Assert.ThrowsAsync<UnknownDriverException>(() => driver.UpdateLocation(Paris, DateTimeOffset.UtcNow));
        await Assert.ThrowsAsync<UnknownDriverException>(() => driver.GoOnline());
        await Assert.ThrowsAsync<UnknownDriverException>(() => driver.GetSnapshot());
        Assert.False(await driver.TryClaim(OfferFor("r")));
    }

    [Fact]
    public async Task Locations_from_the_future_or_older_than_the_last_are_refused()
    {
        var id = await _scenario.OnlineDriverAsync(Offset(Paris, 50_000, 50_000));
        var driver = _scenario.Driver(id);
        var last = (await driver.GetSnapshot()).LocationAt!.Value;

        await Assert.ThrowsAsync<LocationInFutureException>(() => driver.UpdateLocation(Paris, DateTimeOffset.UtcNow.AddMinutes(1)));
        var stale = await Assert.ThrowsAsync<StaleLocationException>(() => driver.UpdateLocation(Paris, last.AddSeconds(-1)));
        Assert.Equal(last, stale.LastAccepted);

        Assert.Equal(last, (await driver.GetSnapshot()).LocationAt);
        await driver.UpdateLocation(Paris, last.AddSeconds(1));
        Assert.Equal(Paris, (await driver.GetSnapshot()).Location);
    }

    [Fact]
    public async Task Status_moves_follow_the_table()
    {
        var id = NewId("driver");
        var driver = _scenario.Driver(id);
        await driver.Register(new DriverRegistration("Ana", "comfort"));
        Assert.Equal(DriverStatus.Offline, (await driver.GetSnapshot()).Status);
        Assert.False(await driver.TryClaim(OfferFor("r", "comfort")));

        await driver.UpdateLocation(Paris, DateTimeOffset.UtcNow);
        Assert.Equal(DriverStatus.Available, (await driver.GoOnline()).Status);
        Assert.False(await driver.TryClaim(OfferFor("r", "economy")));
        Assert.True(await driver.TryClaim(OfferFor("r", "comfort")));

        var offline = await Assert.ThrowsAsync<IllegalDriverTransitionException>(() => driver.GoOffline());
        Assert.Equal((DriverStatus.Offered, DriverStatus.Offline), (offline.From, offline.To));
        await Assert.ThrowsAsync<DriverRideMismatchException>(() => driver.ConfirmTrip("other-ride"));

        await driver.ConfirmTrip("r");
        Assert.Equal(DriverStatus.OnTrip, (await driver.GetSnapshot()).Status);
        await driver.CancelTrip("r");
        Assert.Equal(DriverStatus.Offline, (await driver.GoOffline()).Status);
    }

    [Fact]
    public async Task A_claim_is_exclusive_under_concurrency()
    {
        var id = await _scenario.OnlineDriverAsync(Offset(Paris, 60_000, 60_000));

        var claims = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => _scenario.Driver(id).TryClaim(OfferFor($"ride-{i}"))));

        Assert.Single(claims, c => c);
        Assert.Equal(DriverStatus.Offered, (await _scenario.Driver(id).GetSnapshot()).Status);
    }

    [Fact]
    public async Task A_driver_whose_location_is_older_than_the_freshness_window_is_not_claimed()
    {
        var id = NewId("driver");
        var driver = _scenario.Driver(id);
        await driver.Register(new DriverRegistration("Old", "economy"));
        await driver.UpdateLocation(Paris, DateTimeOffset.UtcNow.AddMinutes(-1));
        await driver.GoOnline();

        Assert.False((await driver.GetSnapshot()).IsFresh);
        Assert.False(await driver.TryClaim(OfferFor("r")));
        await driver.UpdateLocation(Paris, DateTimeOffset.UtcNow);
        Assert.True(await driver.TryClaim(OfferFor("r")));
    }

    [Fact]
    public async Task Only_available_drivers_are_in_the_index()
    {
        var at = Offset(Paris, 70_000, -70_000);
        var id = await _scenario.OnlineDriverAsync(at);
        var search = new DriverSearch(fixture.GrainFactory, new GeoIndexOptions());

        await WaitForAsync(async () => (await search.FindNearestAsync(at, "economy", 1, DateTimeOffset.UtcNow.AddSeconds(-30))).Any(n => n.Id == id));
        Assert.True(await _scenario.Driver(id).TryClaim(OfferFor("r")));
        await WaitForAsync(async () => !(await search.FindNearestAsync(at, "economy", 1, DateTimeOffset.UtcNow.AddSeconds(-30))).Any(n => n.Id == id));
        await _scenario.Driver(id).ReleaseOffer("r");
        await WaitForAsync(async () => (await search.FindNearestAsync(at, "economy", 1, DateTimeOffset.UtcNow.AddSeconds(-30))).Any(n => n.Id == id));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
