using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Atlas.Integration.Tests.Infrastructure;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>The HTTP API as a client of a cluster of silo processes: a whole ride, with the money right.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ApiClientModeTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;
    private Process _api = null!;
    private readonly List<string> _apiOutput = [];
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ProcessCluster.StartAsync(2);
        var port = SiloProcess.FreePort();
        _address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet", [TestEnvironment.ApiAssembly, "--urls", _address.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(TestEnvironment.ApiAssembly)!,
        };
        start.Environment["Atlas__Mode"] = "client";
        start.Environment["Atlas__ClusterId"] = _cluster.ClusterId;
        start.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        start.Environment["ConnectionStrings__Postgres"] = TestEnvironment.Postgres;
        start.Environment["Dispatch__OfferTimeout"] = "00:00:30";
        _api = Process.Start(start)!;
        _api.OutputDataReceived += (_, e) => Keep(e.Data);
        _api.ErrorDataReceived += (_, e) => Keep(e.Data);
        _api.BeginOutputReadLine();
        _api.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = _address };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (_api.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The API did not become ready:\n{string.Join("\n", _apiOutput.TakeLast(30))}");
            }
            await Task.Delay(200);
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_apiOutput)
            {
                _apiOutput.Add(line);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (!_api.HasExited)
        {
            _api.Kill(entireProcessTree: true);
        }
        await _api.WaitForExitAsync();
        _api.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_whole_ride_through_the_api_in_client_mode_moves_the_money_exactly_once()
    {
        // Stored data outlives the test run: fresh users every time.
        var riderId = $"rider-{Guid.NewGuid():N}";
        var driverId = $"driver-{Guid.NewGuid():N}";
        var rider = await ClientAsync(riderId, "rider");
        var driver = await ClientAsync(driverId, "driver");
        var admin = await ClientAsync("cm-admin", "admin");
        await Ok(rider.PostAsJsonAsync("/wallet/topup", new { amount = 10_000, currency = "EUR", reference = "cm-topup" }));
        await Ok(driver.PostAsJsonAsync("/driver/location", new { user_id = driverId, latitude = 52.5201, longitude = 13.4049, timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }));
        var platformBefore = (long)(await admin.GetFromJsonAsync<JsonObject>("/admin/wallets/platform"))!["balance"]!;
        var figuresBefore = (await admin.GetFromJsonAsync<JsonObject>("/admin/figures"))!;
        // The position reaches the index one-way: wait until a search finds the driver.
        await EventuallyAsync(async () => ((await admin.GetFromJsonAsync<JsonObject>("/admin/drivers/near?lat=52.52&long=13.405&radius_m=1000"))!["drivers"]!.AsArray()).Count > 0);

        var order = await Ok(rider.PostAsJsonAsync("/customer/order", new { user_id = riderId, pickup_lat = 52.52, pickup_long = 13.405, dropoff_lat = 52.53, dropoff_long = 13.42 }));
        var orderId = (string)order["order_id"]!;
        var requested = await Ok(rider.PostAsJsonAsync("/customer/ride/request", new
        {
            passenger_id = riderId, order_id = orderId, pickup_lat = 52.52, pickup_long = 13.405, dropoff_lat = 52.53, dropoff_long = 13.42, vehicle_type = "economy",
        }));
        Assert.Equal("CREATED", (string?)requested["status"]);
        await EventuallyAsync(async () => (await driver.GetAsync("/driver/offer")).StatusCode == System.Net.HttpStatusCode.OK);
        await Ok(driver.PostAsJsonAsync("/driver/offer/accept", new { order_id = orderId }));
        foreach (var status in new[] { "ARRIVED", "STARTED", "FINISHED" })
        {
            await Ok(driver.PutAsJsonAsync("/driver/order/status", new { order_id = orderId, status }));
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

    private async Task<HttpClient> ClientAsync(string userId, string role)
    {
        var http = new HttpClient { BaseAddress = _address };
        var token = await Ok(http.PostAsJsonAsync("/auth/token", new { user_id = userId, role }));
        http.DefaultRequestHeaders.Authorization = new("Bearer", (string)token["access_token"]!);
        return http;
    }

    private static async Task<JsonObject> Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

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
