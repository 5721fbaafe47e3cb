using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

/// <summary>
/// While its silo lives, a ride meets its deadlines on grain timers: an offer times out at its deadline, a failed payment
/// is retried after <see cref="DispatchOptions.PaymentRetryInterval"/> — not at the durable reminder's next tick, a
/// minute away (<see cref="DispatchOptions.BackstopPeriod"/>).
/// </summary>
[Collection(RidesCollection.Name)]
public sealed class RideDeadlineTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    private DispatchOptions Dispatch => fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IOptions<DispatchOptions>>().Value;

    /// <summary>How late a timer may fire on a busy machine and still be "on time".</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_offer_expires_at_its_deadline_and_the_ride_moves_to_the_next_driver()
    {
        Assert.True(Dispatch.OfferTimeout + Margin < Dispatch.BackstopPeriod / 10, "the backstop must be far from the deadline to tell them apart");
        var pickup = new GeoPoint(-10 + Random.Shared.NextDouble(), 60 + Random.Shared.NextDouble()); // an area of its own
        var silent = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var next = await _scenario.OnlineDriverAsync(Offset(pickup, 500, 0));
        var riderId = await _scenario.RiderWithFundsAsync();
        var rideId = (await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0))).RideId;

        var offered = await _scenario.Ride(rideId).RequestDriver();
        Assert.Equal(silent, offered.OfferedDriverId);
        var deadline = offered.OfferExpiresAt!.Value;
        Assert.InRange(deadline - offered.Timeline.Single(e => e.Name == "offered").At, Dispatch.OfferTimeout - TimeSpan.FromMilliseconds(100), Dispatch.OfferTimeout);

        var moved = await _scenario.WaitForRideAsync(rideId, r => r.OfferedDriverId == next, Dispatch.OfferTimeout + TimeSpan.FromSeconds(10), "the offer to the next driver");

        var expired = moved.Timeline.Single(e => e.Name == "offer_expired").At;
        // The timer may fire a little early (the ride accepts 50 ms of clock granularity), never a second late.
        Assert.InRange(expired - deadline, TimeSpan.FromMilliseconds(-50), Margin);
        Assert.Equal(rideId, (await _scenario.WaitForOfferAsync(next)).RideId);
    }

    [Fact]
    public async Task A_payment_that_failed_is_retried_on_the_timer_well_before_the_backstop()
    {
        Assert.True(Dispatch.PaymentRetryInterval + Margin < Dispatch.BackstopPeriod / 10, "the backstop must be far from the retry to tell them apart");
        var pickup = new GeoPoint(-20 + Random.Shared.NextDouble(), 70 + Random.Shared.NextDouble()); // an area of its own
        var driverId = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        var riderId = await _scenario.RiderWithFundsAsync(10_000);
        var rideId = (await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0))).RideId;
        Assert.Equal(driverId, (await _scenario.Ride(rideId).RequestDriver()).OfferedDriverId);
        // The release of the hold is the rider's wallet's next write: it fails once, as a lost database connection would.
        fixture.LedgerGate.FailNextWrite(WalletIds.ForUser(riderId), new TimeoutException("the ledger did not answer (test)"), afterApplying: false);

        var cancelled = await _scenario.Ride(rideId).Cancel(RideActor.Rider, riderId, "test");

        Assert.Equal(RideStatus.Cancelled, cancelled.Status);
        Assert.False(cancelled.PaymentSettled);
        Assert.DoesNotContain(cancelled.Timeline, e => e.Name == "paid:release");
        var settled = await _scenario.WaitForRideAsync(rideId, r => r.PaymentSettled, Dispatch.PaymentRetryInterval + TimeSpan.FromSeconds(10), "the retried release");
        var retriedAfter = settled.Timeline.Single(e => e.Name == "paid:release").At - settled.Timeline.Single(e => e.Name == "cancelled").At;
        Assert.InRange(retriedAfter, Dispatch.PaymentRetryInterval - TimeSpan.FromMilliseconds(50), Dispatch.PaymentRetryInterval + Margin);
        Assert.Equal(Eur(10_000), (await _scenario.Wallet(riderId).GetBalance()).Available);
    }
}
