using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

[Collection(RidesCollection.Name)]
public sealed class ConcurrentDispatchTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    [Fact]
    public async Task Two_hundred_concurrent_requests_for_a_hundred_accepting_drivers_match_a_hundred_rides_with_no_driver_twice()
    {
        var center = new GeoPoint(40.4168, -3.7038); // an area of its own
        var random = new Random(7);
        var drivers = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            _scenario.OnlineDriverAsync(Offset(center, random.NextDouble() * 2_000 - 1_000, random.NextDouble() * 2_000 - 1_000))));
        var riders = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => _scenario.RiderWithFundsAsync()));

        using var stop = new CancellationTokenSource();
        var accepting = Task.WhenAll(drivers.Select(d => AcceptOffersAsync(d, stop.Token)));
        var rides = await Task.WhenAll(riders.Select(async rider =>
        {
            var ride = await _scenario.CreateRideAsync(rider, Offset(center, random.NextDouble() * 500, 0), Offset(center, 3_000, 3_000));
            await _scenario.Ride(ride.RideId).RequestDriver();
            return await _scenario.WaitForRideAsync(ride.RideId, r => r.Status != RideStatus.Created, TimeSpan.FromSeconds(60), "an outcome");
        }));
        await stop.CancelAsync();
        await accepting;

        var matched = rides.Where(r => r.Status == RideStatus.Matched).ToArray();
        Assert.Equal(100, matched.Length);
        Assert.Equal(100, matched.Select(r => r.DriverId).Distinct().Count());
        Assert.All(rides.Where(r => r.Status != RideStatus.Matched), r => Assert.Equal(RideStatus.NoDriver, r.Status));
    }

    private async Task AcceptOffersAsync(string driverId, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (await _scenario.Driver(driverId).GetOffer() is { } offer)
            {
                try
                {
                    await _scenario.Ride(offer.RideId).AcceptOffer(driverId);
                }
                catch (OfferExpiredException)
                {
                }
            }
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
