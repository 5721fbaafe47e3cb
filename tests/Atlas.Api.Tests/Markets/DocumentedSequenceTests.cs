using System.Globalization;
using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Api.Tests.Markets;

/// <summary>
/// The existing apps against a fresh install: their five documented requests, as documented plus a bearer token,
/// complete a ride for a rider who never topped up (the default city assigns the nearest driver at once and takes cash).
/// </summary>
public sealed class DocumentedSequenceTests(DefaultMarketsFactory api) : IClassFixture<DefaultMarketsFactory>
{
    [Fact]
    public async Task The_documented_requests_complete_a_ride_for_a_rider_who_never_topped_up()
    {
        var riderId = Scenario.NewId("customer");
        var driverId = Scenario.NewId("driver");
        var rider = api.Rider(riderId);
        var driver = api.Driver(driverId);

        // POST /driver/location, as documented (the app sends its current time).
        var located = await driver.PostOkAsync("/driver/location", new
        {
            user_id = driverId,
            latitude = -6.2088,
            longitude = 106.8456,
            timestamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        });
        Assert.True(located["success"]!.GetValue<bool>());
        await api.Scenario().WaitUntilSearchableAsync(driverId, new GeoPoint(-6.2088, 106.8456));

        // POST /customer/order
        var order = await rider.PostOkAsync("/customer/order", new
        {
            user_id = riderId,
            pickup_long = 106.8456,
            pickup_lat = -6.2088,
            dropoff_long = 106.8650,
            dropoff_lat = -6.2300,
        });
        var orderId = order.Str("order_id");
        Assert.Equal("CREATED", order.Str("status"));
        Assert.True(order.Long("price") > 0);

        // POST /customer/ride/request with vehicle_type "go-ride": matched at once.
        var requested = await rider.PostOkAsync("/customer/ride/request", new
        {
            passenger_id = riderId,
            pickup_long = 106.8456,
            pickup_lat = -6.2088,
            dropoff_long = 106.8650,
            dropoff_lat = -6.2300,
            vehicle_type = "go-ride",
        });
        Assert.Equal((orderId, "MATCHED", driverId), (requested.Str("ride_id"), requested.Str("status"), requested.Str("driver_id")));

        // GET /customer/order?id=
        var matched = await rider.GetOkAsync($"/customer/order?id={orderId}");
        Assert.Equal((orderId, riderId, driverId, "MATCHED", order.Long("price")),
            (matched.Str("order_id"), matched.Str("passenger_id"), matched.Str("driver_id"), matched.Str("status"), matched.Long("price")));
        Assert.NotNull(matched["created_at"]);

        // PUT /driver/order/status STARTED (no ARRIVED), then FINISHED.
        var started = await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "STARTED" });
        Assert.Equal((orderId, "STARTED"), (started.Str("order_id"), started.Str("status")));
        Assert.NotNull(started["updated_at"]);
        var finished = await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "FINISHED" });
        Assert.Equal((orderId, "FINISHED"), (finished.Str("order_id"), finished.Str("status")));
        var charged = finished.Long("charged");
        Assert.True(charged > 0);

        // Cash: the rider's wallet was never touched; the driver owes the platform its commission, to the cent.
        var settled = await Scenario.EventuallyAsync(async () =>
        {
            var o = await rider.GetOkAsync($"/customer/order?id={orderId}");
            return o["payment_settled"]!.GetValue<bool>() ? o : null;
        }, "the commission to be settled");
        Assert.Equal(("cash", "moto", "assign"), (settled.Str("payment_method"), settled.Str("vehicle_type"), settled.Str("dispatch")));
        var moto = api.Services.GetRequiredService<MarketCatalog>().City(null).VehicleClass("go-ride").Fare;
        var commission = FareCalculator.Split(new Money(charged, Currency.Eur), moto).PlatformCommission.Minor;
        var riderWallet = await rider.GetOkAsync("/wallet");
        Assert.Equal((0L, 0L), (riderWallet.Long("balance"), riderWallet.Long("version")));
        var driverWallet = await driver.GetOkAsync("/wallet");
        Assert.Equal((-commission, 0L), (driverWallet.Long("balance"), driverWallet.Long("held")));
        var driverMoves = (await driver.GetOkAsync("/wallet/movements"))["movements"]!.AsArray();
        Assert.Equal(["hold", "capture"], driverMoves.Select(m => m!.Str("kind")));
        Assert.Equal(BuiltInMarket.DriverCreditLimit, driverMoves[0]!.Long("credit_limit"));
        var platform = (await api.Admin().GetOkAsync("/admin/wallets/platform"));
        Assert.True(platform.Long("balance") >= commission);
    }

    [Fact]
    public async Task With_surge_off_the_fare_is_exactly_the_policys()
    {
        var scenario = api.Scenario();
        var pickup = Scenario.RandomSpot();
        var dropoff = Scenario.Offset(pickup, 2400, 1200);
        var (driverId, driver) = await scenario.OnlineDriverAsync(Scenario.Offset(pickup, 100, 0));
        var (riderId, rider) = await scenario.RiderWithFundsAsync(0);

        var order = await rider.PostOkAsync("/customer/order", Scenario.OrderBody(riderId, pickup, dropoff));
        var moto = api.Services.GetRequiredService<MarketCatalog>().City(null).DefaultClass;
        Assert.Equal(FareCalculator.EstimateTrip(moto.Fare, pickup, dropoff).Fare.Minor, order.Long("price"));
        Assert.Equal(1m, order["surge_multiplier"]!.GetValue<decimal>());

        var orderId = order.Str("order_id");
        Assert.Equal("MATCHED", (await rider.PostOkAsync("/customer/ride/request", new { passenger_id = riderId, order_id = orderId })).Str("status"));
        await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "STARTED" });
        var finished = await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "FINISHED" });

        // No positions between start and finish: the straight line, over the time the ride recorded between them.
        var ride = await api.Admin().GetOkAsync($"/admin/rides/{orderId}");
        var distance = ride["order"]!.Long("distance_meters");
        var timeline = ride["timeline"]!.AsArray();
        DateTimeOffset At(string name) => timeline.Single(e => e!.Str("name") == name)!["at"]!.GetValue<DateTimeOffset>();
        var expected = FareCalculator.Estimate(moto.Fare, distance, At("finished") - At("started"));
        Assert.Equal(expected.Minor, finished.Long("final_price"));
    }
}
