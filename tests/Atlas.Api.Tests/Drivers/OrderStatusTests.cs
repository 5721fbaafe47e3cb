using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Drivers;

[Collection(ApiCollection.Name)]
public sealed class OrderStatusTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task Arrived_answers_the_order_the_new_status_and_when_it_changed()
    {
        var ride = await _scenario.MatchedRideAsync();

        var changed = await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "ARRIVED" });

        Assert.Equal(ride.OrderId, changed.Str("order_id"));
        Assert.Equal("ARRIVED", changed.Str("status"));
        Assert.True(DateTimeOffset.Parse(changed.Str("updated_at")) > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Statuses_are_accepted_in_any_letter_case()
    {
        var ride = await _scenario.MatchedRideAsync();

        var changed = await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "arrived" });

        Assert.Equal("ARRIVED", changed.Str("status"));
    }

    [Fact]
    public async Task Starting_without_arriving_is_allowed_as_the_existing_driver_app_does()
    {
        var ride = await _scenario.MatchedRideAsync();

        var changed = await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "STARTED" });

        Assert.Equal("STARTED", changed.Str("status"));
    }

    [Fact]
    public async Task Finishing_before_starting_is_a_409()
    {
        var ride = await _scenario.MatchedRideAsync();

        using var response = await ride.Driver.PutAsync("/driver/order/status", new { order_id = ride.OrderId, status = "FINISHED" });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:illegal-ride-transition", problem.Str("type"));
        Assert.Equal("MATCHED", problem.Str("from"));
    }

    [Fact]
    public async Task A_driver_cancelling_frees_the_rider_and_the_driver()
    {
        var ride = await _scenario.MatchedRideAsync();

        var changed = await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status = "CANCELLED", reason = "flat tyre" });

        Assert.Equal("CANCELLED", changed.Str("status"));
        Assert.Equal("available", (await ride.Driver.GetOkAsync("/driver/profile")).Str("status"));
        var order = await ride.Rider.GetOkAsync($"/customer/order?id={ride.OrderId}");
        Assert.Equal("driver", order.Str("cancelled_by"));
    }

    [Fact]
    public async Task A_status_the_driver_may_not_set_is_a_400_naming_status()
    {
        var ride = await _scenario.MatchedRideAsync();

        using var response = await ride.Driver.PutAsync("/driver/order/status", new { order_id = ride.OrderId, status = "MATCHED" });

        await response.ValidationProblemAsync("status");
    }

    [Fact]
    public async Task An_update_for_an_unknown_order_is_a_404()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).PutAsync("/driver/order/status", new { order_id = "no-such-order", status = "ARRIVED" });

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_driver_history_lists_finished_rides()
    {
        var ride = await _scenario.MatchedRideAsync();
        foreach (var status in new[] { "ARRIVED", "STARTED", "FINISHED" })
        {
            await ride.Driver.PutOkAsync("/driver/order/status", new { order_id = ride.OrderId, status });
        }

        var history = await Scenario.HistoryAsync(ride.Driver, "/driver/rides",
            h => h["rides"]!.AsArray().Any(r => r!.Str("status") == "FINISHED"), "the finished ride in the driver's history");

        var only = Assert.Single(history["rides"]!.AsArray())!;
        Assert.Equal(ride.OrderId, only.Str("order_id"));
        Assert.Equal("FINISHED", only.Str("status"));
        Assert.Null(history["current_order_id"]);
    }

    [Fact]
    public async Task A_driver_history_limit_that_is_not_a_number_is_a_400_naming_limit()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).GetAsync("/driver/rides?limit=ten");

        await response.ValidationProblemAsync("limit");
    }
}
