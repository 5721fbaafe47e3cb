using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Rides;

[Collection(ApiCollection.Name)]
public sealed class CustomerOrderTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task Creating_an_order_answers_its_id_status_created_and_the_estimate_in_minor_units()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();

        var order = await rider.PostOkAsync("/customer/order", Scenario.OrderBody(riderId, pickup, Scenario.Offset(pickup, 3000, 0)));

        Assert.False(string.IsNullOrEmpty(order.Str("order_id")));
        Assert.Equal("CREATED", order.Str("status"));
        Assert.True(order.Long("price") > 0);
        Assert.Equal("EUR", order.Str("currency"));
        Assert.Equal("economy", order.Str("vehicle_type"));
    }

    [Fact]
    public async Task An_order_accepts_a_numeric_user_id_as_the_existing_apps_send_it()
    {
        var riderId = "4711" + Random.Shared.Next(100_000, 999_999);
        var rider = api.Rider(riderId);
        var pickup = Scenario.RandomSpot();

        var order = await rider.PostOkAsync("/customer/order",
            $$"""{"user_id": {{riderId}}, "pickup_lat": {{pickup.Latitude}}, "pickup_long": {{pickup.Longitude}}, "dropoff_lat": {{pickup.Latitude + 0.01}}, "dropoff_long": {{pickup.Longitude}}}""");

        Assert.Equal("CREATED", order.Str("status"));
    }

    [Fact]
    public async Task A_second_open_order_of_the_same_rider_is_a_409_naming_the_open_one()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();
        var first = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));

        using var response = await rider.PostAsync("/customer/order", Scenario.OrderBody(riderId, pickup, Scenario.Offset(pickup, 2000, 0)));

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:open-ride-exists", problem.Str("type"));
        Assert.Equal(first, problem.Str("open_order_id"));
    }

    [Fact]
    public async Task An_order_with_an_out_of_range_latitude_is_a_400_naming_the_field()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);

        using var response = await rider.PostAsync("/customer/order",
            new { user_id = riderId, pickup_lat = 91.0, pickup_long = 2.0, dropoff_lat = 48.0, dropoff_long = 2.0 });

        await response.ValidationProblemAsync("pickup_lat");
    }

    [Fact]
    public async Task An_order_without_a_dropoff_is_a_400_naming_both_missing_fields()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);

        using var response = await rider.PostAsync("/customer/order", new { user_id = riderId, pickup_lat = 48.0, pickup_long = 2.0 });

        var problem = await response.ValidationProblemAsync("dropoff_lat");
        Assert.NotNull(problem["errors"]!["dropoff_long"]);
    }

    [Fact]
    public async Task An_order_with_an_unknown_vehicle_type_is_a_400_naming_the_citys_classes()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);

        using var response = await rider.PostAsync("/customer/order",
            new { user_id = riderId, pickup_lat = 48.0, pickup_long = 2.0, dropoff_lat = 48.1, dropoff_long = 2.0, vehicle_type = "spaceship" });

        var problem = await response.ValidationProblemAsync("vehicle_type");
        var message = problem["errors"]!["vehicle_type"]![0]!.GetValue<string>();
        foreach (var name in new[] { "economy", "comfort", "xl", "premium", "moto", "moto-comfort", "go-ride" })
        {
            Assert.Contains(name, message);
        }
    }

    [Fact]
    public async Task An_order_in_a_city_atlas_does_not_serve_is_a_400_naming_the_cities()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);

        using var response = await rider.PostAsync("/customer/order",
            new { user_id = riderId, pickup_lat = 48.0, pickup_long = 2.0, dropoff_lat = 48.1, dropoff_long = 2.0, city = "atlantis" });

        var problem = await response.ValidationProblemAsync("city");
        Assert.Contains("default", problem["errors"]!["city"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_order_with_an_unknown_payment_method_is_a_400_naming_the_citys_methods()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);

        using var response = await rider.PostAsync("/customer/order",
            new { user_id = riderId, pickup_lat = 48.0, pickup_long = 2.0, dropoff_lat = 48.1, dropoff_long = 2.0, payment_method = "cheque" });

        var problem = await response.ValidationProblemAsync("payment_method");
        var message = problem["errors"]!["payment_method"]![0]!.GetValue<string>();
        Assert.Contains("cash", message);
        Assert.Contains("wallet", message);
    }

    [Fact]
    public async Task Reading_an_order_shows_passenger_status_price_and_creation_time()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();
        var created = await rider.PostOkAsync("/customer/order", Scenario.OrderBody(riderId, pickup, Scenario.Offset(pickup, 1500, 0)));

        var order = await rider.GetOkAsync($"/customer/order?id={created.Str("order_id")}");

        Assert.Equal(created.Str("order_id"), order.Str("order_id"));
        Assert.Equal(riderId, order.Str("passenger_id"));
        Assert.Null(order["driver_id"]);
        Assert.Equal("CREATED", order.Str("status"));
        Assert.Equal(created.Long("price"), order.Long("price"));
        Assert.True(DateTimeOffset.Parse(order.Str("created_at")) > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Reading_an_unknown_order_is_a_404()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).GetAsync("/customer/order?id=no-such-order");

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("urn:atlas:problem:unknown-ride", problem.Str("type"));
    }

    [Fact]
    public async Task Reading_an_order_without_an_id_is_a_400_naming_id()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).GetAsync("/customer/order");

        await response.ValidationProblemAsync("id");
    }

    [Fact]
    public async Task Cancelling_an_order_closes_it_and_frees_the_rider_for_a_new_one()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));

        var cancelled = await rider.PostOkAsync($"/customer/order/{orderId}/cancel", new { reason = "changed my mind" });

        Assert.Equal("CANCELLED", cancelled.Str("status"));
        Assert.Equal("rider", cancelled.Str("cancelled_by"));
        await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));
    }

    [Fact]
    public async Task Cancelling_without_a_body_is_accepted()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));

        using var response = await rider.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/customer/order/{orderId}/cancel")
        {
            Headers = { Authorization = new("Bearer", rider.Token) },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Cancelling_a_cancelled_order_again_returns_it_unchanged()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));
        await rider.PostOkAsync($"/customer/order/{orderId}/cancel");

        var again = await rider.PostOkAsync($"/customer/order/{orderId}/cancel");

        Assert.Equal("CANCELLED", again.Str("status"));
    }

    [Fact]
    public async Task Cancelling_an_unknown_order_is_a_404()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).PostAsync("/customer/order/no-such-order/cancel");

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_rider_history_lists_rides_newest_first_with_their_summary()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var pickup = Scenario.RandomSpot();
        var first = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 1000, 0));
        await rider.PostOkAsync($"/customer/order/{first}/cancel");
        var second = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 2000, 0));

        var history = await Scenario.HistoryAsync(rider, "/customer/rides?limit=10",
            h => h["rides"]!.AsArray().Select(r => r!.Str("status")).SequenceEqual(["CREATED", "CANCELLED"]), "both rides in the history");

        var rides = history["rides"]!.AsArray();
        Assert.Equal([second, first], rides.Select(r => r!.Str("order_id")));
        Assert.Equal(["CREATED", "CANCELLED"], rides.Select(r => r!.Str("status")));
        Assert.Equal(second, history.Str("current_order_id"));
    }

    [Fact]
    public async Task A_history_limit_out_of_range_is_a_400_naming_limit()
    {
        using var response = await api.Rider(Scenario.NewId("rider")).GetAsync("/customer/rides?limit=1000");

        await response.ValidationProblemAsync("limit");
    }
}
