using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

[Collection(RidesCollection.Name)]
public sealed class RideEventTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    [Fact]
    public async Task A_ride_publishes_every_event_once_in_order_with_its_summary()
    {
        var pickup = new GeoPoint(35.6762, 139.6503);
        var driverId = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var riderId = await _scenario.RiderWithFundsAsync();
        var rideId = (await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 2_000, 0))).RideId;
        await _scenario.Ride(rideId).RequestDriver();
        await _scenario.Ride(rideId).AcceptOffer(driverId);
        await _scenario.Ride(rideId).MarkArrived(driverId);
        await _scenario.Ride(rideId).StartTrip(driverId);
        await _scenario.Ride(rideId).FinishTrip(driverId);
        var ride = await _scenario.WaitForRideAsync(rideId, r => r.PaymentSettled, what: "settled payments");

        var published = await WaitForEventsAsync(rideId, ride.Timeline.Length);

        Assert.Equal(Enumerable.Range(1, ride.Timeline.Length), published.Select(e => e.Sequence));
        Assert.Equal(ride.Timeline.Select(e => e.Name), published.Select(e => e.Name));
        var last = published[^1];
        Assert.Equal((RideStatus.Finished, riderId, driverId, ride.Charged!.Value.Minor), (last.Status, last.RiderId, last.DriverId, last.ChargedMinor!.Value));
        Assert.True(last.CommissionMinor > 0);
    }

    [Fact]
    public async Task Events_the_history_could_not_store_are_delivered_again_until_it_does()
    {
        var riderId = await _scenario.RiderWithFundsAsync();
        fixture.Events.FailNext(3);
        var ride = await _scenario.CreateRideAsync(riderId, new GeoPoint(-1, -1), new GeoPoint(-1.01, -1));

        await _scenario.Ride(ride.RideId).Cancel(RideActor.Rider, riderId, "test");

        var published = await WaitForEventsAsync(ride.RideId, 2);
        Assert.Equal(["created", "cancelled"], published.Select(e => e.Name));
    }

    private async Task<IReadOnlyList<Atlas.Grains.Rides.Events.RideEventMessage>> WaitForEventsAsync(string rideId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var events = fixture.Events.Events.Where(e => e.RideId == rideId).DistinctBy(e => e.Sequence).OrderBy(e => e.Sequence).ToArray();
            if (events.Length >= count)
            {
                return events;
            }
            Assert.True(DateTime.UtcNow < deadline, $"only {events.Length} of {count} events were published");
            await Task.Delay(50);
        }
    }
}
