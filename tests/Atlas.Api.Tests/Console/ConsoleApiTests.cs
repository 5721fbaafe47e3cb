using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Atlas.Api.Auth;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Geo;

namespace Atlas.Api.Tests.Console;

/// <summary>
/// The console's server side on the shared host: who may read the live city, what the snapshot and the server-sent
/// updates hold once the platform's streams carried a change, the figures, search and timelines.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ConsoleApiTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    private ApiClient Dispatcher() => api.Client("dispatcher-" + Guid.NewGuid().ToString("N")[..8], Roles.Dispatcher);

    [Fact]
    public async Task The_page_is_served_without_a_token_and_holds_no_data()
    {
        using var response = await api.CreateClient().GetAsync("/console");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("id=\"sign-in\"", html);
        Assert.DoesNotContain("<script>", html); // no inline script: the page's only script is the asset below
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal)); // nothing from elsewhere
    }

    [Fact]
    public async Task The_script_and_style_come_from_the_api_and_an_unknown_asset_is_404()
    {
        var client = api.CreateClient();
        using var script = await client.GetAsync("/console/assets/console.js");
        using var style = await client.GetAsync("/console/assets/console.css");
        using var unknown = await client.GetAsync("/console/assets/nope.js");

        Assert.Equal((HttpStatusCode.OK, "text/javascript"), (script.StatusCode, script.Content.Headers.ContentType?.MediaType));
        Assert.Equal((HttpStatusCode.OK, "text/css"), (style.StatusCode, style.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.DoesNotContain("https://", await script.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/console/api/snapshot")]
    [InlineData("/console/api/events")]
    [InlineData("/console/api/search?q=ride")]
    [InlineData("/console/api/drivers/driver-1")]
    [InlineData("/console/api/rides/ride-1")]
    public async Task Console_data_needs_an_admin_or_dispatcher_token(string path)
    {
        using var anonymous = await api.Client().GetAsync(path);
        using var rider = await api.Rider(Scenario.NewId("rider")).GetAsync(path);
        using var driver = await api.Driver(Scenario.NewId("driver")).GetAsync(path);

        var problem = await anonymous.ProblemAsync(HttpStatusCode.Unauthorized);
        await rider.ProblemAsync(HttpStatusCode.Forbidden);
        await driver.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Null(problem["metrics"]); // a problem, not the city
    }

    [Fact]
    public async Task Admins_and_dispatchers_read_the_snapshot()
    {
        var admin = await api.Admin().GetOkAsync("/console/api/snapshot");
        var dispatcher = await Dispatcher().GetOkAsync("/console/api/snapshot");

        Assert.NotNull(admin["metrics"]);
        Assert.Contains(dispatcher["cities"]!.AsArray(), c => c!.Str("name") == "default");
    }

    [Fact]
    public async Task A_dispatcher_token_is_issued_by_the_token_route_in_development_mode()
    {
        var issued = await api.Client().PostOkAsync("/auth/token", new { user_id = "dispatcher-1", role = "dispatcher" });

        var client = new ApiClient(api.CreateClient(), issued.Str("access_token"));
        await client.GetOkAsync("/console/api/snapshot");
        using var adminRoute = await client.GetAsync("/admin/drivers/near?lat=1&long=1&radius_m=100");
        await adminRoute.ProblemAsync(HttpStatusCode.Forbidden); // a dispatcher watches; it does not administer
    }

    [Fact]
    public async Task A_driver_that_sent_a_position_is_on_the_map()
    {
        var at = Scenario.RandomSpot();
        var (driverId, _) = await _scenario.OnlineDriverAsync(at);

        var driver = await DriverOnMapAsync(driverId, d => d.Str("status") == "available");

        Assert.Equal(at.Latitude, driver["location"]!["lat"]!.GetValue<double>(), 6);
        Assert.Equal(at.Longitude, driver["location"]!["long"]!.GetValue<double>(), 6);
    }

    [Fact]
    public async Task The_event_stream_sends_a_moved_driver_within_a_second_or_two()
    {
        var at = Scenario.RandomSpot();
        var (driverId, driver) = await _scenario.OnlineDriverAsync(at);
        var dispatcher = Dispatcher();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console/api/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", dispatcher.Token);
        using var response = await dispatcher.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var moved = Scenario.Offset(at, 500, 0);
        var sent = DateTimeOffset.UtcNow;
        await driver.PostOkAsync("/driver/location", new { user_id = driverId, latitude = moved.Latitude, longitude = moved.Longitude, timestamp = Scenario.NowMillis() });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        JsonNode? seen = null;
        while (seen is null)
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("The event stream ended.");
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                seen = JsonNode.Parse(line[6..])!["drivers"]!.AsArray()
                    .FirstOrDefault(d => d!.Str("driver_id") == driverId && Math.Abs(d!["location"]!["lat"]!.GetValue<double>() - moved.Latitude) < 1e-9);
            }
        }
        var latency = DateTimeOffset.UtcNow - sent;
        // The issue asks for a second; a loaded two-core test machine gets some slack.
        Assert.True(latency < TimeSpan.FromSeconds(3), $"the moved driver reached the console after {latency.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task An_offered_ride_is_on_the_map_from_pickup_to_drop_off_and_follows_its_driver()
    {
        var ride = await _scenario.OfferedRideAsync();

        var offered = await RideOnMapAsync(ride.OrderId, r => r["offered_driver_id"]?.GetValue<string>() == ride.DriverId);
        Assert.Equal("CREATED", offered.Str("status"));
        Assert.Equal(ride.Pickup.Latitude, offered["pickup"]!["lat"]!.GetValue<double>(), 6);
        Assert.Equal(ride.Dropoff.Longitude, offered["dropoff"]!["long"]!.GetValue<double>(), 6);
        await DriverOnMapAsync(ride.DriverId, d => d.Str("status") == "offered" && d["ride_id"]?.GetValue<string>() == ride.OrderId);

        await ride.Driver.PostOkAsync("/driver/offer/accept", new { order_id = ride.OrderId });

        var matched = await RideOnMapAsync(ride.OrderId, r => r.Str("status") == "MATCHED");
        Assert.Equal(ride.DriverId, matched.Str("driver_id"));
        await DriverOnMapAsync(ride.DriverId, d => d.Str("status") == "on_trip");
    }

    [Fact]
    public async Task The_figures_count_a_request_its_time_to_match_a_cancellation_and_revenue()
    {
        var before = (await Dispatcher().GetOkAsync("/console/api/snapshot"))["metrics"]!;
        var ride = await _scenario.MatchedRideAsync();
        var cancelled = await _scenario.OfferedRideAsync();
        await cancelled.Rider.PostOkAsync($"/customer/order/{cancelled.OrderId}/cancel", new { reason = "changed my mind" });
        await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "ARRIVED" });
        await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "STARTED" });
        await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "FINISHED" });

        // Other tests share the host: the figures grow by at least this test's rides.
        var after = await Scenario.EventuallyAsync(async () =>
        {
            var metrics = (await Dispatcher().GetOkAsync("/console/api/snapshot"))["metrics"]!;
            return metrics.Long("requested_total") >= before.Long("requested_total") + 2 &&
                metrics.Long("cancellations_total") >= before.Long("cancellations_total") + 1 &&
                metrics.Long("finished_total") >= before.Long("finished_total") + 1 &&
                Revenue(metrics) > Revenue(before) ? metrics : null;
        }, "the figures to count the rides");
        Assert.True(after.Long("rides_per_minute") >= 2);
        Assert.True(after["time_to_match_p50_seconds"]!.GetValue<double>() >= 0);
        Assert.True(after["time_to_match_p95_seconds"]!.GetValue<double>() >= after["time_to_match_p50_seconds"]!.GetValue<double>());
    }

    private static long Revenue(JsonNode metrics) =>
        metrics["revenue_total"]!.AsArray().Where(a => a!.Str("currency") == "EUR").Sum(a => a!.Long("amount"));

    [Fact]
    public async Task Search_finds_a_ride_by_id_and_a_driver_by_prefix_and_opens_their_timelines()
    {
        var ride = await _scenario.MatchedRideAsync();
        var dispatcher = Dispatcher();
        await RideOnMapAsync(ride.OrderId, r => r.Str("status") == "MATCHED");

        var byRide = await dispatcher.GetOkAsync($"/console/api/search?q={ride.OrderId}");
        var byDriver = await dispatcher.GetOkAsync($"/console/api/search?q={ride.DriverId[..^4]}");
        var timeline = await dispatcher.GetOkAsync($"/console/api/rides/{ride.OrderId}");
        var driver = await dispatcher.GetOkAsync($"/console/api/drivers/{ride.DriverId}");

        Assert.Contains(byRide["hits"]!.AsArray(), h => h!.Str("kind") == "ride" && h!.Str("id") == ride.OrderId && h!.Str("status") == "MATCHED");
        Assert.Contains(byDriver["hits"]!.AsArray(), h => h!.Str("kind") == "driver" && h!.Str("id") == ride.DriverId);
        Assert.Equal(["requested", "offered", "matched"], timeline["timeline"]!.AsArray().Select(e => e!.Str("name")).Where(n => n is "requested" or "offered" or "matched"));
        Assert.Equal(ride.OrderId, driver["driver"]!.Str("order_id"));
        Assert.Contains(driver["seen"]!.AsArray(), s => s!.Str("status") == "on_trip" && s!["ride_id"]?.GetValue<string>() == ride.OrderId);
        Assert.Contains(driver["rides"]!.AsArray(), r => r!.Str("order_id") == ride.OrderId);
    }

    [Fact]
    public async Task Bad_searches_and_unknown_ids_get_problems()
    {
        var dispatcher = Dispatcher();
        using var empty = await dispatcher.GetAsync("/console/api/search?q=");
        using var unknownRide = await dispatcher.GetAsync($"/console/api/rides/{Scenario.NewId("ride")}");
        using var unknownDriver = await dispatcher.GetAsync($"/console/api/drivers/{Scenario.NewId("driver")}");
        var nothing = await dispatcher.GetOkAsync($"/console/api/search?q={Scenario.NewId("nobody")}");

        await empty.ValidationProblemAsync("q");
        await unknownRide.ProblemAsync(HttpStatusCode.NotFound);
        await unknownDriver.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(nothing["hits"]!.AsArray());
    }

    private Task<JsonNode> DriverOnMapAsync(string driverId, Func<JsonNode, bool> until) => OnMapAsync("drivers", "driver_id", driverId, until);

    private Task<JsonNode> RideOnMapAsync(string rideId, Func<JsonNode, bool> until) => OnMapAsync("rides", "ride_id", rideId, until);

    /// <summary>The snapshot follows the platform's streams: wait until it shows the item as <paramref name="until"/> wants.</summary>
    private Task<JsonNode> OnMapAsync(string list, string key, string id, Func<JsonNode, bool> until)
    {
        var dispatcher = Dispatcher();
        return Scenario.EventuallyAsync(async () =>
        {
            var snapshot = await dispatcher.GetOkAsync("/console/api/snapshot");
            return snapshot[list]!.AsArray().FirstOrDefault(x => x!.Str(key) == id && until(x!))?.DeepClone();
        }, $"{id} on the map", TimeSpan.FromSeconds(10));
    }
}
