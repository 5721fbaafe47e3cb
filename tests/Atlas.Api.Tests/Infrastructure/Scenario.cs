using System.Net;
using System.Text.Json.Nodes;
using Atlas.Grains.Geo;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>Steps of ride scenarios through HTTP, written once.</summary>
public sealed class Scenario(ApiFactory factory)
{
    public ApiFactory Factory => factory;

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>
    /// A random place on the map. Drivers from earlier tests stay online in the shared host, so each test works in
    /// its own spot, thousands of kilometres from the others.
    /// </summary>
    public static GeoPoint RandomSpot() => new(Random.Shared.NextDouble() * 100 - 50, Random.Shared.NextDouble() * 340 - 170);

    /// <summary>A point <paramref name="metersNorth"/> north and <paramref name="metersEast"/> east of <paramref name="from"/>.</summary>
    public static GeoPoint Offset(GeoPoint from, double metersNorth, double metersEast) => new(
        from.Latitude + metersNorth / 111_195.0,
        from.Longitude + metersEast / (111_195.0 * Math.Cos(from.Latitude * Math.PI / 180)));

    public static long NowMillis() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public async Task<(string Id, ApiClient Client)> RiderWithFundsAsync(long amount = 100_000)
    {
        var id = NewId("rider");
        var client = factory.Rider(id);
        if (amount > 0)
        {
            await client.PostOkAsync("/wallet/topup", new { amount, currency = "EUR" });
        }
        return (id, client);
    }

    /// <summary>A driver who sent a position (which registers and puts them online), found by a search around it.</summary>
    public async Task<(string Id, ApiClient Client)> OnlineDriverAsync(GeoPoint at)
    {
        var id = NewId("driver");
        var client = factory.Driver(id);
        await client.PostOkAsync("/driver/location", new { user_id = id, latitude = at.Latitude, longitude = at.Longitude, timestamp = NowMillis() });
        await WaitUntilSearchableAsync(id, at);
        return (id, client);
    }

    /// <summary>Index updates are one-way messages: wait until a search sees the driver.</summary>
    public async Task WaitUntilSearchableAsync(string driverId, GeoPoint at)
    {
        var admin = factory.Admin();
        await EventuallyAsync(async () =>
        {
            var found = await admin.GetOkAsync(FormattableString.Invariant($"/admin/drivers/near?lat={at.Latitude}&long={at.Longitude}&radius_m=1000"));
            return found["drivers"]!.AsArray().Any(d => d!.Str("driver_id") == driverId) ? found : null;
        }, $"driver {driverId} searchable");
    }

    public static object OrderBody(string riderId, GeoPoint pickup, GeoPoint dropoff) => new
    {
        user_id = riderId,
        pickup_lat = pickup.Latitude,
        pickup_long = pickup.Longitude,
        dropoff_lat = dropoff.Latitude,
        dropoff_long = dropoff.Longitude,
    };

    public static object RideRequestBody(string riderId, GeoPoint pickup, GeoPoint dropoff, string? orderId = null) => new
    {
        passenger_id = riderId,
        pickup_lat = pickup.Latitude,
        pickup_long = pickup.Longitude,
        dropoff_lat = dropoff.Latitude,
        dropoff_long = dropoff.Longitude,
        vehicle_type = "economy",
        order_id = orderId,
    };

    public static async Task<string> OrderAsync(ApiClient rider, string riderId, GeoPoint pickup, GeoPoint dropoff) =>
        (await rider.PostOkAsync("/customer/order", OrderBody(riderId, pickup, dropoff))).Str("order_id");

    public static async Task<JsonNode> WaitForOfferAsync(ApiClient driver) =>
        await EventuallyAsync(async () =>
        {
            using var response = await driver.GetAsync("/driver/offer");
            return response.StatusCode == HttpStatusCode.OK ? await response.JsonAsync() : null;
        }, "an offer");

    /// <summary>A ride that a driver accepted: rider with funds, driver next to the pickup.</summary>
    public async Task<MatchedRide> MatchedRideAsync()
    {
        var ride = await OfferedRideAsync();
        await ride.Driver.PostOkAsync("/driver/offer/accept", new { order_id = ride.OrderId });
        return ride;
    }

    /// <summary>A ride offered to a driver who has not answered yet.</summary>
    public async Task<MatchedRide> OfferedRideAsync()
    {
        var pickup = RandomSpot();
        var dropoff = Offset(pickup, 2000, 1000);
        var (riderId, rider) = await RiderWithFundsAsync();
        var (driverId, driver) = await OnlineDriverAsync(Offset(pickup, 100, 0));
        var orderId = await OrderAsync(rider, riderId, pickup, dropoff);
        await rider.PostOkAsync("/customer/ride/request", RideRequestBody(riderId, pickup, dropoff, orderId));
        var offer = await WaitForOfferAsync(driver);
        Assert.Equal(orderId, offer.Str("order_id"));
        return new MatchedRide(orderId, riderId, rider, driverId, driver, pickup, dropoff);
    }

    /// <summary>
    /// Reads <paramref name="path"/> (a history page) until <paramref name="until"/> holds: the ride history is a stream
    /// projection and lags the rides by the stream's delivery time.
    /// </summary>
    public static Task<System.Text.Json.Nodes.JsonNode> HistoryAsync(ApiClient client, string path, Func<System.Text.Json.Nodes.JsonNode, bool> until, string what) =>
        EventuallyAsync(async () =>
        {
            var page = await client.GetOkAsync(path);
            return until(page) ? page : null;
        }, what);

    /// <summary>Polls until <paramref name="probe"/> returns a value, or fails after the deadline naming what it waited for.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null) where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for {what}.");
            }
            await Task.Delay(25);
        }
    }
}

/// <summary>A ride with its rider and driver.</summary>
public sealed record MatchedRide(string OrderId, string RiderId, ApiClient Rider, string DriverId, ApiClient Driver, GeoPoint Pickup, GeoPoint Dropoff);
