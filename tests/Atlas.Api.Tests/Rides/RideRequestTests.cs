using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Rides;

[Collection(ApiCollection.Name)]
public sealed class RideRequestTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task Requesting_a_ride_for_an_order_offers_it_to_the_nearby_driver()
    {
        var pickup = Scenario.RandomSpot();
        var dropoff = Scenario.Offset(pickup, 2000, 0);
        var (riderId, rider) = await _scenario.RiderWithFundsAsync();
        var (_, driver) = await _scenario.OnlineDriverAsync(Scenario.Offset(pickup, 200, 0));
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, dropoff);

        var ride = await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, dropoff, orderId));

        Assert.Equal(orderId, ride.Str("ride_id"));
        Assert.Equal(orderId, ride.Str("order_id"));
        Assert.Equal("CREATED", ride.Str("status"));
        Assert.Null(ride["driver_id"]);
        var offer = await Scenario.WaitForOfferAsync(driver);
        Assert.Equal(orderId, offer.Str("order_id"));
    }

    [Fact]
    public async Task Requesting_a_ride_without_an_order_creates_one()
    {
        var pickup = Scenario.RandomSpot();
        var dropoff = Scenario.Offset(pickup, 2000, 0);
        var (riderId, rider) = await _scenario.RiderWithFundsAsync();

        var ride = await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, dropoff));

        Assert.Equal(ride.Str("ride_id"), ride.Str("order_id"));
        var order = await rider.GetOkAsync($"/customer/order?id={ride.Str("order_id")}");
        Assert.Equal(riderId, order.Str("passenger_id"));
    }

    [Fact]
    public async Task Requesting_a_ride_without_an_order_uses_the_open_order()
    {
        var pickup = Scenario.RandomSpot();
        var dropoff = Scenario.Offset(pickup, 2000, 0);
        var (riderId, rider) = await _scenario.RiderWithFundsAsync();
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, dropoff);

        var ride = await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, dropoff));

        Assert.Equal(orderId, ride.Str("order_id"));
    }

    [Fact]
    public async Task With_no_driver_nearby_the_ride_ends_without_a_driver_and_the_hold_is_released()
    {
        var pickup = Scenario.RandomSpot();
        var dropoff = Scenario.Offset(pickup, 2000, 0);
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(50_000);

        var ride = await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, dropoff));

        Assert.Equal("NO_DRIVER", ride.Str("status"));
        var wallet = await Scenario.EventuallyAsync(async () =>
        {
            var w = await rider.GetOkAsync("/wallet");
            return w.Long("held") == 0 ? w : null;
        }, "the hold to be released");
        Assert.Equal(50_000, wallet.Long("available"));
    }

    [Fact]
    public async Task A_rider_whose_wallet_cannot_cover_the_hold_gets_402()
    {
        var pickup = Scenario.RandomSpot();
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(1);

        using var response = await rider.PostAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, Scenario.Offset(pickup, 5000, 0)));

        var problem = await response.ProblemAsync(HttpStatusCode.PaymentRequired);
        Assert.Equal("urn:atlas:problem:insufficient-funds", problem.Str("type"));
        Assert.Equal(1, problem.Long("available"));
    }

    [Fact]
    public async Task Requesting_a_ride_for_an_unknown_order_is_a_404()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);

        using var response = await rider.PostAsync("/customer/ride/request", new { passenger_id = riderId, order_id = "no-such-order", vehicle_type = "economy" });

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Requesting_a_ride_for_a_cancelled_order_is_a_409()
    {
        var pickup = Scenario.RandomSpot();
        var (riderId, rider) = await _scenario.RiderWithFundsAsync();
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));
        await rider.PostOkAsync($"/customer/order/{orderId}/cancel");

        using var response = await rider.PostAsync("/customer/ride/request", new { passenger_id = riderId, order_id = orderId });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:ride-closed", problem.Str("type"));
    }

    [Fact]
    public async Task A_ride_request_without_passenger_id_is_a_400_naming_it()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).PostAsync("/customer/ride/request", new { order_id = "x" });

        await response.ValidationProblemAsync("passenger_id");
    }
}
