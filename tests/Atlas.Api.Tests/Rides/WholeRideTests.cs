using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Fares;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Api.Tests.Rides;

/// <summary>A ride from order to payment through HTTP only, on a host of its own so that the platform's account starts at zero.</summary>
public sealed class WholeRideTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_whole_ride_through_http_moves_the_fare_from_rider_to_driver_and_platform_exactly()
    {
        var scenario = api.Scenario();
        var admin = api.Admin();
        var pickup = Scenario.RandomSpot();
        var dropoff = Scenario.Offset(pickup, 2400, 1200);

        // The rider tops up; the driver's app reports a position near the pickup (which registers and puts them online).
        var riderId = Scenario.NewId("rider");
        var rider = api.Rider(riderId);
        await rider.PostOkAsync("/wallet/topup", new { amount = 10_000, currency = "EUR", reference = "first-top-up" });
        var driverId = Scenario.NewId("driver");
        var driver = api.Driver(driverId);
        var start = Scenario.Offset(pickup, 150, 0);
        await driver.PostOkAsync("/driver/location", new { user_id = driverId, latitude = start.Latitude, longitude = start.Longitude, timestamp = Scenario.NowMillis() });
        await scenario.WaitUntilSearchableAsync(driverId, start);

        // Order, then ask for a driver.
        var order = await rider.PostOkAsync("/customer/order", Scenario.OrderBody(riderId, pickup, dropoff));
        var orderId = order.Str("order_id");
        var requested = await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, dropoff, orderId));
        Assert.Equal("CREATED", requested.Str("status"));
        var held = requested.Long("held_amount");
        Assert.Equal(10_000 - held, (await rider.GetOkAsync("/wallet")).Long("available"));

        // The driver sees the offer and takes it.
        var offer = await Scenario.WaitForOfferAsync(driver);
        Assert.Equal(orderId, offer.Str("order_id"));
        Assert.Equal("MATCHED", (await driver.PostOkAsync("/driver/offer/accept", new { order_id = orderId })).Str("status"));

        // Arrive, start, drive (positions along the way), finish.
        Assert.Equal("ARRIVED", (await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "ARRIVED" })).Str("status"));
        Assert.Equal("STARTED", (await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "STARTED" })).Str("status"));
        var stamp = Scenario.NowMillis();
        for (var step = 0; step <= 4; step++)
        {
            var at = new Grains.Geo.GeoPoint(
                pickup.Latitude + (dropoff.Latitude - pickup.Latitude) * step / 4,
                pickup.Longitude + (dropoff.Longitude - pickup.Longitude) * step / 4);
            stamp = Math.Max(stamp + 1, Scenario.NowMillis());
            await driver.PostOkAsync("/driver/location", new { user_id = driverId, latitude = at.Latitude, longitude = at.Longitude, timestamp = stamp });
        }
        var finished = await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "FINISHED" });
        Assert.Equal("FINISHED", finished.Str("status"));
        var charged = finished.Long("charged");
        Assert.True(charged > 0 && charged <= held, $"charged {charged} of {held} held");

        // Payment is delivered from the ride's outbox: wait until it says so.
        var settled = await Scenario.EventuallyAsync(async () =>
        {
            var o = await rider.GetOkAsync($"/customer/order?id={orderId}");
            return o["payment_settled"]!.GetValue<bool>() ? o : null;
        }, "the payment to settle");
        Assert.Equal(charged, settled.Long("charged"));
        Assert.Equal(driverId, settled.Str("driver_id"));

        // Balances: the rider paid the fare, the driver and the platform share it to the cent.
        var policy = api.Services.GetRequiredService<MarketCatalog>().City(null).VehicleClass("economy").Fare;
        var split = FareCalculator.Split(new Money(charged, Currency.Eur), policy);
        var riderWallet = await rider.GetOkAsync("/wallet");
        var driverWallet = await driver.GetOkAsync("/wallet");
        var platformWallet = await admin.GetOkAsync("/admin/wallets/platform");
        Assert.Equal(10_000 - charged, riderWallet.Long("balance"));
        Assert.Equal(0, riderWallet.Long("held"));
        Assert.Equal(split.DriverShare.Minor, driverWallet.Long("balance"));
        Assert.Equal(split.PlatformCommission.Minor, platformWallet.Long("balance"));
        Assert.Equal(charged, driverWallet.Long("balance") + platformWallet.Long("balance"));

        // The rider's ledger tells the same story: top-up, hold, capture.
        var movements = (await rider.GetOkAsync("/wallet/movements"))["movements"]!.AsArray().Select(m => m!.Str("kind"));
        Assert.Equal(["top_up", "hold", "capture"], movements);

        // Both histories list the ride, finished, once the stream has delivered its events.
        var riderHistory = await Scenario.HistoryAsync(rider, "/customer/rides", h => h["rides"]!.AsArray().Any(r => r!.Str("status") == "FINISHED"),
            "the finished ride in the rider's history");
        Assert.Equal(orderId, riderHistory["rides"]![0]!.Str("order_id"));
        var driverHistory = await Scenario.HistoryAsync(driver, "/driver/rides", h => h["rides"]!.AsArray().Any(r => r!.Str("status") == "FINISHED"),
            "the finished ride in the driver's history");
        Assert.Equal(orderId, driverHistory["rides"]![0]!.Str("order_id"));
    }
}
