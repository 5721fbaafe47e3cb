using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Idempotency;

[Collection(ApiCollection.Name)]
public sealed class IdempotencyTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task A_replayed_order_returns_the_first_response_and_creates_nothing_more()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var body = Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 1000, 0));
        var key = Guid.NewGuid().ToString();
        using var first = await rider.PostAsync("/customer/order", body, key);
        var firstBody = await first.Content.ReadAsStringAsync();

        using var replay = await rider.PostAsync("/customer/order", body, key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(first.StatusCode, replay.StatusCode);
        Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        var history = await Scenario.HistoryAsync(rider, "/customer/rides", h => h["rides"]!.AsArray().Count > 0, "the ride in the history");
        Assert.Single(history["rides"]!.AsArray());
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_a_422()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var key = Guid.NewGuid().ToString();
        using var first = await rider.PostAsync("/customer/order", Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 1000, 0)), key);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var other = await rider.PostAsync("/customer/order", Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 5000, 0)), key);

        var problem = await other.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("urn:atlas:problem:idempotency-key-reused", problem.Str("type"));
    }

    [Fact]
    public async Task Keys_belong_to_their_caller()
    {
        var spot = Scenario.RandomSpot();
        var key = Guid.NewGuid().ToString();
        var (aliceId, alice) = await _scenario.RiderWithFundsAsync(0);
        var (bobId, bob) = await _scenario.RiderWithFundsAsync(0);

        using var fromAlice = await alice.PostAsync("/customer/order", Scenario.OrderBody(aliceId, spot, Scenario.Offset(spot, 1000, 0)), key);
        using var fromBob = await bob.PostAsync("/customer/order", Scenario.OrderBody(bobId, spot, Scenario.Offset(spot, 1000, 0)), key);

        Assert.Equal(HttpStatusCode.OK, fromAlice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromBob.StatusCode);
        Assert.NotEqual((await fromAlice.JsonAsync()).Str("order_id"), (await fromBob.JsonAsync()).Str("order_id"));
    }

    [Fact]
    public async Task A_refused_request_leaves_its_key_free_for_a_corrected_retry()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var key = Guid.NewGuid().ToString();
        using var invalid = await rider.PostAsync("/customer/order", new { user_id = riderId, pickup_lat = 500.0 }, key);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        using var corrected = await rider.PostAsync("/customer/order", Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 1000, 0)), key);

        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
    }

    [Fact]
    public async Task A_replayed_top_up_moves_the_money_once()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        var key = Guid.NewGuid().ToString();
        using var first = await rider.PostAsync("/wallet/topup", new { amount = 1_234, currency = "EUR" }, key);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var replay = await rider.PostAsync("/wallet/topup", new { amount = 1_234, currency = "EUR" }, key);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.Equal(1_234, (await rider.GetOkAsync("/wallet")).Long("balance"));
    }

    [Fact]
    public async Task A_replayed_ride_request_returns_the_first_answer()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync();
        var spot = Scenario.RandomSpot();
        var body = Scenario.RideRequestBody(riderId, spot, Scenario.Offset(spot, 1000, 0));
        var key = Guid.NewGuid().ToString();
        using var first = await rider.PostAsync("/customer/ride/request", body, key);

        using var replay = await rider.PostAsync("/customer/ride/request", body, key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task A_key_with_spaces_is_a_400_naming_the_header()
    {
        var rider = api.Rider(Scenario.NewId("rider"));

        using var response = await rider.PostAsync("/wallet/topup", new { amount = 1, currency = "EUR" }, "has spaces in it");

        await response.ValidationProblemAsync("Idempotency-Key");
    }

    [Fact]
    public async Task Routes_that_create_nothing_ignore_the_header()
    {
        var (riderId, rider) = await _scenario.RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var orderId = await Scenario.OrderAsync(rider, riderId, spot, Scenario.Offset(spot, 1000, 0));
        var key = Guid.NewGuid().ToString();
        using var first = await rider.PostAsync($"/customer/order/{orderId}/cancel", new { reason = "a" }, key);

        using var second = await rider.PostAsync($"/customer/order/{orderId}/cancel", new { reason = "b" }, key);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
    }
}

/// <summary>Records expire: a host whose records live two seconds.</summary>
public sealed class ShortRetentionFactory : ApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, new("Idempotency:Retention", "00:00:02")];
}

public sealed class IdempotencyExpiryTests(ShortRetentionFactory api) : IClassFixture<ShortRetentionFactory>
{
    [Fact]
    public async Task After_the_retention_a_key_may_be_used_for_a_new_request()
    {
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var key = Guid.NewGuid().ToString();
        using var first = await rider.PostAsync("/customer/order", Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 1000, 0)), key);
        var firstId = (await first.JsonAsync()).Str("order_id");
        await rider.PostOkAsync($"/customer/order/{firstId}/cancel");
        var other = Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 3000, 0));
        using var conflict = await rider.PostAsync("/customer/order", other, key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.StatusCode);

        var second = await Scenario.EventuallyAsync(async () =>
        {
            using var later = await rider.PostAsync("/customer/order", other, key);
            return later.StatusCode == HttpStatusCode.OK ? await later.JsonAsync() : null;
        }, "the key to expire");

        Assert.NotEqual(firstId, second.Str("order_id"));
    }
}
