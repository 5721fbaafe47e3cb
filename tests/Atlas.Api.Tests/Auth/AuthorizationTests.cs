using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Auth;

/// <summary>Who may do what: roles per route group, and a caller acting only as itself.</summary>
[Collection(ApiCollection.Name)]
public sealed class AuthorizationTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    public static TheoryData<string, string, string> WrongRoles => new()
    {
        { "driver", "POST", "/customer/order" },
        { "driver", "POST", "/customer/ride/request" },
        { "driver", "POST", "/customer/order/x/cancel" },
        { "driver", "GET", "/customer/rides" },
        { "admin", "POST", "/customer/order" },
        { "rider", "POST", "/driver/location" },
        { "rider", "PUT", "/driver/order/status" },
        { "rider", "POST", "/driver/online" },
        { "rider", "POST", "/driver/offer/accept" },
        { "rider", "GET", "/driver/rides" },
        { "admin", "POST", "/driver/location" },
        { "admin", "POST", "/wallet/topup" },
        { "admin", "GET", "/wallet" },
        { "rider", "GET", "/admin/rides/x" },
        { "driver", "GET", "/admin/drivers/x" },
        { "rider", "GET", "/admin/wallets/platform" },
        { "driver", "GET", "/metrics" },
    };

    [Theory]
    [MemberData(nameof(WrongRoles))]
    public async Task A_route_of_another_role_is_a_403_problem(string role, string method, string path)
    {
        var client = api.Client(Scenario.NewId(role), role);

        using var response = await client.SendAsync(new HttpMethod(method), path, method == "GET" ? null : new { });

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:forbidden-role", problem.Str("type"));
    }

    [Fact]
    public async Task A_rider_ordering_for_another_user_is_a_403()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        var spot = Scenario.RandomSpot();

        using var response = await rider.PostAsync("/customer/order", Scenario.OrderBody("someone-else", spot, Scenario.Offset(spot, 1000, 0)));

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:not-yourself", problem.Str("type"));
    }

    [Fact]
    public async Task A_rider_requesting_a_ride_for_another_passenger_is_a_403()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        var spot = Scenario.RandomSpot();

        using var response = await rider.PostAsync("/customer/ride/request", Scenario.RideRequestBody("someone-else", spot, Scenario.Offset(spot, 1000, 0)));

        await response.ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_rider_requesting_a_driver_for_another_riders_order_is_a_403()
    {
        var (ownerId, owner) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(owner, ownerId, spot, Scenario.Offset(spot, 1000, 0));
        var (thiefId, thief) = await _scenario.RiderWithFundsAsync();

        using var response = await thief.PostAsync("/customer/ride/request", new { passenger_id = thiefId, order_id = orderId });

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:not-ride-participant", problem.Str("type"));
    }

    [Fact]
    public async Task A_rider_reading_another_riders_order_is_a_403()
    {
        var (ownerId, owner) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(owner, ownerId, spot, Scenario.Offset(spot, 1000, 0));

        using var response = await api.Rider(Scenario.NewId("rider")).GetAsync($"/customer/order?id={orderId}");

        await response.ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_rider_cancelling_another_riders_order_is_a_403_and_the_order_stays_open()
    {
        var (ownerId, owner) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(owner, ownerId, spot, Scenario.Offset(spot, 1000, 0));

        using var response = await api.Rider(Scenario.NewId("rider")).PostAsync($"/customer/order/{orderId}/cancel");

        await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("CREATED", (await owner.GetOkAsync($"/customer/order?id={orderId}")).Str("status"));
    }

    [Fact]
    public async Task A_driver_reading_an_order_they_do_not_drive_is_a_403()
    {
        var (ownerId, owner) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(owner, ownerId, spot, Scenario.Offset(spot, 1000, 0));

        using var response = await api.Driver(Scenario.NewId("driver")).GetAsync($"/customer/order?id={orderId}");

        await response.ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_driver_of_a_ride_reads_its_order()
    {
        var ride = await _scenario.MatchedRideAsync();

        var order = await ride.Driver.GetOkAsync($"/customer/order?id={ride.OrderId}");

        Assert.Equal(ride.DriverId, order.Str("driver_id"));
    }

    [Fact]
    public async Task An_admin_reads_any_order()
    {
        var (ownerId, owner) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(owner, ownerId, spot, Scenario.Offset(spot, 1000, 0));

        var order = await api.Admin().GetOkAsync($"/customer/order?id={orderId}");

        Assert.Equal(ownerId, order.Str("passenger_id"));
    }

    [Fact]
    public async Task A_driver_sending_another_drivers_location_is_a_403()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).PostAsync("/driver/location", new { user_id = "someone-else", latitude = 1.0, longitude = 1.0 });

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:not-yourself", problem.Str("type"));
    }

    [Fact]
    public async Task A_driver_updating_a_ride_they_do_not_drive_is_a_403_and_the_ride_is_unchanged()
    {
        var ride = await _scenario.MatchedRideAsync();
        var (_, stranger) = await _scenario.OnlineDriverAsync(Scenario.RandomSpot());

        using var response = await stranger.PutAsync("/driver/order/status", new { order_id = ride.OrderId, status = "ARRIVED" });

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:not-ride-participant", problem.Str("type"));
        Assert.Equal("MATCHED", (await ride.Rider.GetOkAsync($"/customer/order?id={ride.OrderId}")).Str("status"));
    }

    [Fact]
    public async Task A_driver_naming_another_driver_in_a_status_update_is_a_403()
    {
        var ride = await _scenario.MatchedRideAsync();

        using var response = await ride.Driver.PutAsync("/driver/order/status", new { order_id = ride.OrderId, status = "ARRIVED", driver_id = "someone-else" });

        await response.ProblemAsync(HttpStatusCode.Forbidden);
    }
}
