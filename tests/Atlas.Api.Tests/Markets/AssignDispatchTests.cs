using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Markets;

/// <summary>Assign dispatch and the ride states the existing driver app uses.</summary>
public sealed class AssignDispatchTests(DefaultMarketsFactory api) : IClassFixture<DefaultMarketsFactory>
{
    private readonly Scenario _scenario = api.Scenario();

    private async Task<(string OrderId, string RiderId, ApiClient Rider, string DriverId, ApiClient Driver)> MatchedAsync(string payment = "cash")
    {
        var pickup = Scenario.RandomSpot();
        var (driverId, driver) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 100, 0));
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(payment == "wallet" ? 100_000 : 0);
        var order = await rider.PostOkAsync("/customer/order", new
        {
            user_id = riderId, pickup_lat = pickup.Latitude, pickup_long = pickup.Longitude,
            dropoff_lat = pickup.Latitude + 0.02, dropoff_long = pickup.Longitude, payment_method = payment,
        });
        var requested = await rider.PostOkAsync("/customer/ride/request", new { passenger_id = riderId, order_id = order.Str("order_id") });
        Assert.Equal(("MATCHED", driverId), (requested.Str("status"), requested.Str("driver_id")));
        return (order.Str("order_id"), riderId, rider, driverId, driver);
    }

    [Fact]
    public async Task The_assigned_driver_finds_the_ride_without_an_offer()
    {
        var (orderId, _, _, _, driver) = await MatchedAsync();

        using var offer = await driver.GetAsync("/driver/offer");
        Assert.Equal(HttpStatusCode.NoContent, offer.StatusCode);
        var current = await driver.GetOkAsync("/driver/order");
        Assert.Equal((orderId, "MATCHED"), (current.Str("order_id"), current.Str("status")));
        Assert.Equal("on_trip", (await driver.GetOkAsync("/driver/profile")).Str("status"));
    }

    [Fact]
    public async Task A_driver_with_no_ride_has_no_current_order()
    {
        var (_, driver) = await _scenario.OnlineDriverAsync(Scenario.RandomSpot());

        using var response = await driver.GetAsync("/driver/order");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task A_trip_starts_from_matched_without_arrived_and_then_a_rider_cannot_cancel()
    {
        var (orderId, riderId, rider, _, driver) = await MatchedAsync();

        var started = await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "STARTED" });

        Assert.Equal("STARTED", started.Str("status"));
        using var cancel = await rider.PostAsync($"/customer/order/{orderId}/cancel", new { reason = "too late" });
        await cancel.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(riderId, (await rider.GetOkAsync($"/customer/order?id={orderId}")).Str("passenger_id"));
    }

    [Fact]
    public async Task Cancelling_a_matched_ride_whose_driver_never_marked_arrived_costs_the_rider_nothing()
    {
        var (orderId, _, rider, _, driver) = await MatchedAsync(payment: "wallet");

        var cancelled = await rider.PostOkAsync($"/customer/order/{orderId}/cancel", new { reason = "changed plans" });

        Assert.Equal("CANCELLED", cancelled.Str("status"));
        Assert.Null(cancelled["charged"]);
        var wallet = await Scenario.EventuallyAsync(async () =>
        {
            var w = await rider.GetOkAsync("/wallet");
            return w.Long("held") == 0 ? w : null;
        }, "the hold released");
        Assert.Equal(100_000, wallet.Long("balance"));
        Assert.Equal("available", (await driver.GetOkAsync("/driver/profile")).Str("status"));
    }

    [Fact]
    public async Task Cancelling_after_the_driver_marked_arrived_charges_the_cancellation_fee()
    {
        var (orderId, _, rider, _, driver) = await MatchedAsync(payment: "wallet");
        await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "ARRIVED" });

        var cancelled = await rider.PostOkAsync($"/customer/order/{orderId}/cancel", new { reason = "changed plans" });

        Assert.True(cancelled.Long("charged") > 0);
    }

    [Fact]
    public async Task A_request_naming_another_class_than_its_order_is_a_409()
    {
        var pickup = Scenario.RandomSpot();
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var order = await rider.PostOkAsync("/customer/order", new
        {
            user_id = riderId, pickup_lat = pickup.Latitude, pickup_long = pickup.Longitude, dropoff_lat = pickup.Latitude + 0.02,
            dropoff_long = pickup.Longitude, vehicle_type = "premium",
        });

        using var response = await rider.PostAsync("/customer/ride/request", new { passenger_id = riderId, order_id = order.Str("order_id"), vehicle_type = "go-ride" });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(("urn:atlas:problem:order-mismatch", order.Str("order_id"), "premium"),
            (problem.Str("type"), problem.Str("order_id"), problem.Str("vehicle_type")));
    }
}
