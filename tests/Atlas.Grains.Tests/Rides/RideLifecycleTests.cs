using Atlas.Grains.Markets;
using Atlas.Grains.Drivers;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

[Collection(RidesCollection.Name)]
public sealed class RideLifecycleTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    [Fact]
    public async Task A_ride_runs_from_request_to_payment_and_the_money_moves_once()
    {
        var pickup = Offset(Paris, 2_000, 0);
        var dropoff = Offset(pickup, 3_000, 4_000);
        var driverId = await _scenario.OnlineDriverAsync(Offset(pickup, 300, 0));
        var riderId = await _scenario.RiderWithFundsAsync(10_000);
        var platformBefore = (await _scenario.PlatformWallet.GetBalance()).Balance;

        var ride = await _scenario.CreateRideAsync(riderId, pickup, dropoff);
        Assert.Equal(RideStatus.Created, ride.Status);
        Assert.True(ride.FareEstimate.IsPositive);

        ride = await _scenario.Ride(ride.RideId).RequestDriver();
        Assert.Equal(driverId, ride.OfferedDriverId);
        var held = ride.HeldAmount!.Value;
        Assert.Equal(ride.FareEstimate + ride.FareEstimate.ShareInBasisPoints(2500), held);
        Assert.Equal(Eur(10_000) - held, (await _scenario.Wallet(riderId).GetBalance()).Available);

        var offer = await _scenario.Driver(driverId).GetOffer();
        Assert.Equal(ride.RideId, offer!.RideId);
        ride = await _scenario.Ride(ride.RideId).AcceptOffer(driverId);
        Assert.Equal(RideStatus.Matched, ride.Status);
        Assert.Equal(DriverStatus.OnTrip, (await _scenario.Driver(driverId).GetSnapshot()).Status);

        await _scenario.Driver(driverId).UpdateLocation(pickup, DateTimeOffset.UtcNow);
        await _scenario.Ride(ride.RideId).MarkArrived(driverId);
        await _scenario.Ride(ride.RideId).StartTrip(driverId);
        // The driver drives 3 km north, then 4 km east: 7 km driven, 5 km in a straight line.
        var at = DateTimeOffset.UtcNow.AddMilliseconds(1);
        for (var i = 1; i <= 30; i++)
        {
            await _scenario.Driver(driverId).UpdateLocation(Offset(pickup, 100 * i, 0), at.AddMilliseconds(i));
        }
        for (var i = 1; i <= 40; i++)
        {
            await _scenario.Driver(driverId).UpdateLocation(Offset(pickup, 3_000, 100 * i), at.AddMilliseconds(100 + i));
        }
        ride = await _scenario.Ride(ride.RideId).FinishTrip(driverId);

        Assert.Equal(RideStatus.Finished, ride.Status);
        Assert.InRange(ride.DistanceMeters!.Value, 6_950, 7_050);
        var expected = FareCalculator.Estimate(MarketCatalog.BuiltIn.City(null).VehicleClass("economy").Fare, ride.DistanceMeters.Value, TimeSpan.Zero);
        Assert.InRange(ride.FinalFare!.Value.Minor, expected.Minor, expected.Minor + 30); // plus at most a minute of time
        var paid = await _scenario.WaitForRideAsync(ride.RideId, r => r.PaymentSettled, what: "settled payments");
        var split = FareCalculator.Split(paid.Charged!.Value, MarketCatalog.BuiltIn.City(null).VehicleClass("economy").Fare);

        var rider = await _scenario.Wallet(riderId).GetBalance();
        Assert.Equal(Eur(10_000) - paid.Charged.Value, rider.Balance);
        Assert.Equal(0, rider.Held.Minor);
        Assert.Equal(split.DriverShare, (await _scenario.Wallet(driverId).GetBalance()).Balance);
        Assert.Equal(platformBefore + split.PlatformCommission, (await _scenario.PlatformWallet.GetBalance()).Balance);
        Assert.Equal(DriverStatus.Available, (await _scenario.Driver(driverId).GetSnapshot()).Status);
        Assert.Equal(["created", "requested", "offered", "matched", "arrived", "started", "finished", "paid:capture", "paid:credit", "paid:credit"],
            paid.Timeline.Select(e => e.Name));
    }

    [Fact]
    public async Task Without_positions_the_fare_uses_the_straight_line()
    {
        var pickup = Offset(Paris, -20_000, 0);
        var dropoff = Offset(pickup, 0, 5_000);
        var (rideId, driverId) = await MatchedRideAsync(pickup, dropoff);
        await _scenario.Ride(rideId).MarkArrived(driverId);
        await _scenario.Ride(rideId).StartTrip(driverId);

        var ride = await _scenario.Ride(rideId).FinishTrip(driverId);

        Assert.InRange(ride.DistanceMeters!.Value, 4_990, 5_010);
    }

    [Fact]
    public async Task A_rider_cancelling_before_the_driver_arrives_releases_driver_and_hold()
    {
        var pickup = Offset(Paris, -40_000, 0);
        var (rideId, driverId) = await MatchedRideAsync(pickup, Offset(pickup, 2_000, 0));
        var riderId = (await _scenario.Ride(rideId).Get()).RiderId;

        var ride = await _scenario.Ride(rideId).Cancel(RideActor.Rider, riderId, "changed my mind");

        Assert.Equal(RideStatus.Cancelled, ride.Status);
        Assert.Equal(DriverStatus.Available, (await _scenario.Driver(driverId).GetSnapshot()).Status);
        await _scenario.WaitForRideAsync(rideId, r => r.PaymentSettled, what: "the hold's release");
        var wallet = await _scenario.Wallet(riderId).GetBalance();
        Assert.Equal(Eur(100_000), wallet.Balance);
        Assert.Equal(Eur(100_000), wallet.Available);
    }

    [Fact]
    public async Task A_rider_cancelling_after_the_driver_arrived_pays_the_cancellation_fee()
    {
        var pickup = Offset(Paris, -60_000, 0);
        var (rideId, driverId) = await MatchedRideAsync(pickup, Offset(pickup, 2_000, 0));
        var riderId = (await _scenario.Ride(rideId).Get()).RiderId;
        await _scenario.Ride(rideId).MarkArrived(driverId);

        await _scenario.Ride(rideId).Cancel(RideActor.Rider, riderId, null);

        var ride = await _scenario.WaitForRideAsync(rideId, r => r.PaymentSettled, what: "the fee's payment");
        var policy = MarketCatalog.BuiltIn.City(null).VehicleClass("economy").Fare;
        var fee = FareCalculator.CancellationFee(policy);
        Assert.Equal(fee, ride.Charged);
        Assert.Equal(Eur(100_000) - fee, (await _scenario.Wallet(riderId).GetBalance()).Balance);
        Assert.Equal(FareCalculator.Split(fee, policy).DriverShare, (await _scenario.Wallet(driverId).GetBalance()).Balance);
        Assert.Equal(DriverStatus.Available, (await _scenario.Driver(driverId).GetSnapshot()).Status);
    }

    [Fact]
    public async Task A_declined_offer_goes_to_the_next_driver_and_never_back()
    {
        var pickup = Offset(Paris, 0, 20_000);
        var near = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var far = await _scenario.OnlineDriverAsync(Offset(pickup, 600, 0));
        var riderId = await _scenario.RiderWithFundsAsync();
        var ride = await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0));

        ride = await _scenario.Ride(ride.RideId).RequestDriver();
        Assert.Equal(near, ride.OfferedDriverId);
        ride = await _scenario.Ride(ride.RideId).DeclineOffer(near);
        Assert.Equal(far, ride.OfferedDriverId);
        Assert.Equal(DriverStatus.Available, (await _scenario.Driver(near).GetSnapshot()).Status);

        ride = await _scenario.Ride(ride.RideId).DeclineOffer(far);

        Assert.Equal(RideStatus.NoDriver, ride.Status);
        Assert.Equal(["created", "requested", "offered", "declined", "offered", "declined", "no_driver"], ride.Timeline.Take(7).Select(e => e.Name));
        await _scenario.WaitForRideAsync(ride.RideId, r => r.PaymentSettled, what: "the hold's release");
        Assert.Equal(Eur(100_000), (await _scenario.Wallet(riderId).GetBalance()).Available);
    }

    [Fact]
    public async Task An_offer_that_times_out_moves_on_and_the_silent_driver_is_not_asked_again()
    {
        var pickup = Offset(Paris, 0, 40_000);
        var silent = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var riderId = await _scenario.RiderWithFundsAsync();
        var ride = await _scenario.Ride((await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0))).RideId).RequestDriver();
        Assert.Equal(silent, ride.OfferedDriverId);
        var next = await _scenario.OnlineDriverAsync(Offset(pickup, 400, 0));

        ride = await _scenario.WaitForRideAsync(ride.RideId, r => r.OfferedDriverId == next, what: "the offer to move on");

        Assert.Contains(ride.Timeline, e => e.Name == "offer_expired");
        Assert.Equal(DriverStatus.Available, (await _scenario.Driver(silent).GetSnapshot()).Status);
        await Assert.ThrowsAsync<OfferNotFoundException>(() => _scenario.Ride(ride.RideId).AcceptOffer(silent));
        Assert.Equal(RideStatus.Matched, (await _scenario.Ride(ride.RideId).AcceptOffer(next)).Status);
    }

    [Fact]
    public async Task With_no_driver_nearby_the_ride_closes_without_one_and_releases_the_hold()
    {
        var riderId = await _scenario.RiderWithFundsAsync();
        var pickup = new GeoPointFactory().Remote();
        var ride = await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0));

        ride = await _scenario.Ride(ride.RideId).RequestDriver();

        Assert.Equal(RideStatus.NoDriver, ride.Status);
        await _scenario.WaitForRideAsync(ride.RideId, r => r.PaymentSettled, what: "the hold's release");
        Assert.Equal(Eur(100_000), (await _scenario.Wallet(riderId).GetBalance()).Available);
    }

    [Fact]
    public async Task Requesting_a_driver_without_funds_is_refused_and_changes_nothing()
    {
        var riderId = await _scenario.RiderWithFundsAsync(100);
        var ride = await _scenario.CreateRideAsync(riderId, Paris, Offset(Paris, 10_000, 0));

        var error = await Assert.ThrowsAsync<InsufficientFundsException>(() => _scenario.Ride(ride.RideId).RequestDriver());

        Assert.Equal(Eur(100), error.Available);
        var after = await _scenario.Ride(ride.RideId).Get();
        Assert.Equal(RideStatus.Created, after.Status);
        Assert.Null(after.HeldAmount);
        Assert.Equal(Eur(100), (await _scenario.Wallet(riderId).GetBalance()).Available);
    }

    [Fact]
    public async Task Only_the_assigned_driver_moves_the_ride_and_only_its_rider_cancels_it()
    {
        var pickup = Offset(Paris, -80_000, 0);
        var (rideId, _) = await MatchedRideAsync(pickup, Offset(pickup, 1_000, 0));

        var wrongDriver = await Assert.ThrowsAsync<NotRideParticipantException>(() => _scenario.Ride(rideId).MarkArrived("someone-else"));
        Assert.Equal(RideActor.Driver, wrongDriver.Actor);
        await Assert.ThrowsAsync<NotRideParticipantException>(() => _scenario.Ride(rideId).Cancel(RideActor.Rider, "not-the-rider", null));
        Assert.Equal(RideStatus.Matched, (await _scenario.Ride(rideId).Get()).Status);
    }

    [Fact]
    public async Task A_repeated_move_by_the_same_participant_returns_the_ride_unchanged()
    {
        var pickup = Offset(Paris, -100_000, 0);
        var (rideId, driverId) = await MatchedRideAsync(pickup, Offset(pickup, 1_000, 0));

        var first = await _scenario.Ride(rideId).MarkArrived(driverId);
        var second = await _scenario.Ride(rideId).MarkArrived(driverId);

        Assert.Equal(RideStatus.Arrived, second.Status);
        Assert.Equal(first.Timeline.Length, second.Timeline.Length);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_specific_errors()
    {
        await Assert.ThrowsAsync<UnknownRideException>(() => _scenario.Ride(NewId("nope")).Get());
        await Assert.ThrowsAsync<UnknownRideException>(() => _scenario.Ride(NewId("nope")).RequestDriver());
        await Assert.ThrowsAsync<ArgumentException>(() => _scenario.Ride(NewId("r")).Create(new RideRequest(" ", Paris, Paris, "economy")));
        await Assert.ThrowsAsync<UnknownVehicleClassException>(() => _scenario.Ride(NewId("r")).Create(new RideRequest("x", Paris, Paris, "spaceship")));
        await Assert.ThrowsAsync<UnknownCityException>(() => _scenario.Ride(NewId("r")).Create(new RideRequest("x", Paris, Paris, "economy", "atlantis")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GeoPoint(91, 0));

        var ride = await _scenario.CreateRideAsync("rider-x", Paris, Offset(Paris, 1_000, 0));
        await Assert.ThrowsAsync<RideAlreadyExistsException>(() => _scenario.Ride(ride.RideId).Create(new RideRequest("rider-y", Paris, Paris, "economy")));
        Assert.Equal(ride.RideId, (await _scenario.Ride(ride.RideId).Create(new RideRequest("rider-x", Paris, Offset(Paris, 1_000, 0), "economy"))).RideId);
    }

    private async Task<(string RideId, string DriverId)> MatchedRideAsync(GeoPoint pickup, GeoPoint dropoff)
    {
        var driverId = await _scenario.OnlineDriverAsync(Offset(pickup, 200, 0));
        var riderId = await _scenario.RiderWithFundsAsync();
        var ride = await _scenario.CreateRideAsync(riderId, pickup, dropoff);
        ride = await _scenario.Ride(ride.RideId).RequestDriver();
        Assert.Equal(driverId, ride.OfferedDriverId);
        await _scenario.Ride(ride.RideId).AcceptOffer(driverId);
        return (ride.RideId, driverId);
    }

    /// <summary>Points far from every other test's drivers.</summary>
    private sealed class GeoPointFactory
    {
        public GeoPoint Remote() => new(-45 + Random.Shared.NextDouble(), 100 + Random.Shared.NextDouble());
    }
}
