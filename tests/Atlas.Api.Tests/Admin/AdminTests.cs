using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Admin;

[Collection(ApiCollection.Name)]
public sealed class AdminTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task An_admin_reads_any_ride_with_its_timeline()
    {
        var ride = await _scenario.MatchedRideAsync();

        var details = await api.Admin().GetOkAsync($"/admin/rides/{ride.OrderId}");

        Assert.Equal("MATCHED", details["order"]!.Str("status"));
        var events = details["timeline"]!.AsArray().Select(e => e!.Str("name")).ToList();
        Assert.Equal(["created", "requested", "offered", "matched"], events);
    }

    [Fact]
    public async Task Platform_figures_of_the_embedded_platform_come_from_the_ride_history_in_its_SQLite_file()
    {
        var from = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O");
        var ride = await _scenario.MatchedRideAsync();
        await ride.Rider.PostOkAsync($"/customer/order/{ride.OrderId}/cancel");
        var to = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");

        // Only this test's window: other tests' rides come and go meanwhile.
        var figures = await Scenario.EventuallyAsync(async () =>
        {
            var read = await api.Admin().GetOkAsync($"/admin/figures?from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}");
            return read.Long("cancelled_rides") >= 1 ? read : null;
        }, "the cancelled ride in the platform figures");
        Assert.True(figures.Long("cancelled_rides") >= 1);
    }

    [Fact]
    public async Task Platform_figures_refuse_a_malformed_period_naming_the_field()
    {
        using var response = await api.Admin().GetAsync("/admin/figures?from=yesterday");

        await response.ValidationProblemAsync("from");
    }

    [Fact]
    public async Task Only_admins_read_platform_figures()
    {
        using var response = await api.Rider("figures-rider").GetAsync("/admin/figures");

        await response.ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_admin_reads_an_unknown_ride_as_404()
    {
        using var response = await api.Admin().GetAsync("/admin/rides/no-such-ride");

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_admin_reads_any_driver()
    {
        var spot = Scenario.RandomSpot();
        var (driverId, _) = await _scenario.OnlineDriverAsync(spot);

        var driver = await api.Admin().GetOkAsync($"/admin/drivers/{driverId}");

        Assert.Equal("available", driver.Str("status"));
        Assert.True(driver["is_fresh"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_admin_reads_an_unknown_driver_as_404()
    {
        using var response = await api.Admin().GetAsync("/admin/drivers/no-such-driver");

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("urn:atlas:problem:unknown-driver", problem.Str("type"));
    }

    [Fact]
    public async Task Drivers_near_a_point_come_nearest_first_within_the_radius()
    {
        var spot = Scenario.RandomSpot();
        var (far, _) = await _scenario.OnlineDriverAsync(Scenario.Offset(spot, 800, 0));
        var (near, _) = await _scenario.OnlineDriverAsync(Scenario.Offset(spot, 100, 0));
        var (outside, _) = await _scenario.OnlineDriverAsync(Scenario.Offset(spot, 3000, 0));

        var found = await api.Admin().GetOkAsync(FormattableString.Invariant($"/admin/drivers/near?lat={spot.Latitude}&long={spot.Longitude}&radius_m=1000&vehicle_type=economy&limit=5"));

        var ids = found["drivers"]!.AsArray().Select(d => d!.Str("driver_id")).ToList();
        Assert.Equal([near, far], ids);
        Assert.DoesNotContain(outside, ids);
    }

    [Fact]
    public async Task A_search_without_a_latitude_is_a_400_naming_lat()
    {
        using var response = await api.Admin().GetAsync("/admin/drivers/near?long=2.0");

        await response.ValidationProblemAsync("lat");
    }

    [Fact]
    public async Task A_search_radius_beyond_the_maximum_is_a_400_naming_radius_m()
    {
        using var response = await api.Admin().GetAsync("/admin/drivers/near?lat=1&long=2&radius_m=1000000");

        await response.ValidationProblemAsync("radius_m");
    }

    [Fact]
    public async Task An_admin_reads_a_user_wallet_and_the_platform_wallet()
    {
        var riderId = Scenario.NewId("rider");
        await api.Rider(riderId).PostOkAsync("/wallet/topup", new { amount = 777, currency = "EUR" });
        var admin = api.Admin();

        var wallet = await admin.GetOkAsync($"/admin/wallets/user/{riderId}");
        var platform = await admin.GetOkAsync("/admin/wallets/platform");

        Assert.Equal(777, wallet.Long("balance"));
        Assert.Equal("platform", platform.Str("wallet_id"));
    }

    [Fact]
    public async Task A_wallet_id_with_forbidden_characters_is_a_400_naming_id()
    {
        using var response = await api.Admin().GetAsync("/admin/wallets/user/a%20b");

        await response.ValidationProblemAsync("id");
    }
}
