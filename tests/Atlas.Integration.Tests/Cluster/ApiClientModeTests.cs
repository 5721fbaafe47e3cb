using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Atlas.Integration.Tests.Infrastructure;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>The HTTP API as a client of a cluster of silo processes (<c>Atlas:Mode=client</c>): a whole ride, with the money right.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class ApiClientModeTests(SharedCluster shared) : IAsyncLifetime
{
    private ApiProcess _api = null!;

    public async Task InitializeAsync() => _api = await ApiProcess.StartAsync(shared.Cluster.ClusterId);

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_whole_ride_through_the_api_in_client_mode_moves_the_money_exactly_once()
    {
        // Stored data outlives the test run: fresh users every time.
        var riderId = $"rider-{Guid.NewGuid():N}";
        var driverId = $"driver-{Guid.NewGuid():N}";
        var rider = await _api.ClientAsync(riderId, "rider");
        var driver = await _api.ClientAsync(driverId, "driver");
        var admin = await _api.ClientAsync("cm-admin", "admin");
        await ApiProcess.OkAsync(rider.PostAsJsonAsync("/wallet/topup", new { amount = 10_000, currency = "EUR", reference = "cm-topup" }));
        await ApiProcess.OkAsync(driver.PostAsJsonAsync("/driver/location", new { user_id = driverId, latitude = 52.5201, longitude = 13.4049, timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }));
        var platformBefore = (long)(await admin.GetFromJsonAsync<JsonObject>("/admin/wallets/platform"))!["balance"]!;
        var figuresBefore = (await admin.GetFromJsonAsync<JsonObject>("/admin/figures"))!;
        // The position reaches the index one-way: wait until a search finds the driver.
        await EventuallyAsync(async () => ((await admin.GetFromJsonAsync<JsonObject>("/admin/drivers/near?lat=52.52&long=13.405&radius_m=1000"))!["drivers"]!.AsArray()).Count > 0);

        // The default city assigns the nearest driver at once; the rider pays from the wallet (the default is cash).
        var order = await ApiProcess.OkAsync(rider.PostAsJsonAsync("/customer/order", new
        {
            user_id = riderId, pickup_lat = 52.52, pickup_long = 13.405, dropoff_lat = 52.53, dropoff_long = 13.42, payment_method = "wallet",
        }));
        var orderId = (string)order["order_id"]!;
        var requested = await ApiProcess.OkAsync(rider.PostAsJsonAsync("/customer/ride/request", new
        {
            passenger_id = riderId, order_id = orderId, pickup_lat = 52.52, pickup_long = 13.405, dropoff_lat = 52.53, dropoff_long = 13.42,
            vehicle_type = (string)order["vehicle_type"]!, payment_method = "wallet",
        }));
        Assert.Equal(("MATCHED", driverId), ((string?)requested["status"], (string?)requested["driver_id"]));
        foreach (var status in new[] { "ARRIVED", "STARTED", "FINISHED" })
        {
            await ApiProcess.OkAsync(driver.PutAsJsonAsync("/driver/order/status", new { order_id = orderId, status }));
        }

        JsonObject ride = null!;
        await EventuallyAsync(async () => (bool)(ride = (await rider.GetFromJsonAsync<JsonObject>($"/customer/order?id={orderId}"))!)["payment_settled"]!);
        var charged = (long)ride["charged"]!;
        Assert.Equal(10_000 - charged, (long)(await rider.GetFromJsonAsync<JsonObject>("/wallet"))!["balance"]!);
        var driverShare = (long)(await driver.GetFromJsonAsync<JsonObject>("/wallet"))!["balance"]!;
        var commission = (long)(await admin.GetFromJsonAsync<JsonObject>("/admin/wallets/platform"))!["balance"]! - platformBefore;
        Assert.True(driverShare > 0 && commission > 0);
        Assert.Equal(charged, driverShare + commission);

        // The silos project the ride's events into PostgreSQL: the history and the platform figures show it.
        JsonObject figures = null!;
        await EventuallyAsync(async () =>
        {
            figures = (await admin.GetFromJsonAsync<JsonObject>("/admin/figures"))!;
            return (long)figures["completed_rides"]! > (long)figuresBefore["completed_rides"]! && Revenue(figures) - Revenue(figuresBefore) >= commission;
        });
        Assert.Equal((long)figuresBefore["completed_rides"]! + 1, (long)figures["completed_rides"]!);
        Assert.Equal(commission, Revenue(figures) - Revenue(figuresBefore));
        var history = (await rider.GetFromJsonAsync<JsonObject>("/customer/rides"))!;
        var listed = Assert.Single(history["rides"]!.AsArray());
        Assert.Equal((orderId, "FINISHED", charged), ((string)listed!["order_id"]!, (string)listed["status"]!, (long)listed["charged"]!));
    }

    private static long Revenue(JsonObject figures) =>
        figures["revenue"]!.AsArray().Where(a => (string?)a!["currency"] == "EUR").Sum(a => (long)a!["amount"]!);

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition was not met in time");
            await Task.Delay(100);
        }
    }
}
