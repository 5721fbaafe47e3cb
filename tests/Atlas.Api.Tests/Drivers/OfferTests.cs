using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Drivers;

[Collection(ApiCollection.Name)]
public sealed class OfferTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task A_driver_without_an_offer_gets_204()
    {
        var spot = Scenario.RandomSpot();
        var (_, driver) = await _scenario.OnlineDriverAsync(spot);

        using var response = await driver.GetAsync("/driver/offer");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task The_offer_shows_the_order_its_pickup_price_and_expiry()
    {
        var ride = await _scenario.OfferedRideAsync();

        var offer = await ride.Driver.GetOkAsync("/driver/offer");

        Assert.Equal(ride.OrderId, offer.Str("order_id"));
        Assert.Equal(ride.Pickup.Latitude, offer["pickup"]!["lat"]!.GetValue<double>(), 9);
        Assert.True(offer.Long("price") > 0);
        Assert.True(DateTimeOffset.Parse(offer.Str("expires_at")) > DateTimeOffset.UtcNow.AddSeconds(-5));
    }

    [Fact]
    public async Task Accepting_the_offer_matches_the_ride_to_the_driver()
    {
        var ride = await _scenario.OfferedRideAsync();

        var accepted = await ride.Driver.PostOkAsync("/driver/offer/accept", new { order_id = ride.OrderId });

        Assert.Equal("MATCHED", accepted.Str("status"));
        Assert.Equal(ride.DriverId, accepted.Str("driver_id"));
        var order = await ride.Rider.GetOkAsync($"/customer/order?id={ride.OrderId}");
        Assert.Equal(ride.DriverId, order.Str("driver_id"));
    }

    [Fact]
    public async Task Accepting_without_naming_the_order_accepts_the_current_offer()
    {
        var ride = await _scenario.OfferedRideAsync();

        var accepted = await ride.Driver.PostOkAsync("/driver/offer/accept");

        Assert.Equal(ride.OrderId, accepted.Str("order_id"));
        Assert.Equal("MATCHED", accepted.Str("status"));
    }

    [Fact]
    public async Task Accepting_with_no_offer_is_a_409()
    {
        var (_, driver) = await _scenario.OnlineDriverAsync(Scenario.RandomSpot());

        using var response = await driver.PostAsync("/driver/offer/accept");

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:offer-not-found", problem.Str("type"));
    }

    [Fact]
    public async Task Accepting_an_offer_made_to_another_driver_is_a_409()
    {
        var ride = await _scenario.OfferedRideAsync();
        var (_, other) = await _scenario.OnlineDriverAsync(Scenario.RandomSpot());

        using var response = await other.PostAsync("/driver/offer/accept", new { order_id = ride.OrderId });

        await response.ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Declining_the_offer_passes_the_ride_to_the_next_driver()
    {
        var ride = await _scenario.OfferedRideAsync();
        var (_, next) = await _scenario.OnlineDriverAsync(Scenario.Offset(ride.Pickup, 300, 0));

        var declined = await ride.Driver.PostOkAsync("/driver/offer/decline", new { order_id = ride.OrderId });

        Assert.True(declined["declined"]!.GetValue<bool>());
        var offer = await Scenario.WaitForOfferAsync(next);
        Assert.Equal(ride.OrderId, offer.Str("order_id"));
        using var mine = await ride.Driver.GetAsync("/driver/offer");
        Assert.Equal(HttpStatusCode.NoContent, mine.StatusCode);
    }

    [Fact]
    public async Task An_order_id_that_is_not_an_id_is_a_400_naming_it()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).PostAsync("/driver/offer/accept", new { order_id = "a b/c" });

        await response.ValidationProblemAsync("order_id");
    }

    [Fact]
    public async Task Declining_with_no_offer_is_a_409()
    {
        var (_, driver) = await _scenario.OnlineDriverAsync(Scenario.RandomSpot());

        using var response = await driver.PostAsync("/driver/offer/decline");

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:offer-not-found", problem.Str("type"));
    }
}

/// <summary>Offers that expire after two seconds.</summary>
public sealed class ShortOfferFactory : ApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings, new("Dispatch:OfferTimeout", "00:00:02")];
}

public sealed class OfferExpiryTests(ShortOfferFactory api) : IClassFixture<ShortOfferFactory>
{
    [Fact]
    public async Task An_offer_not_answered_in_time_goes_away_and_can_no_longer_be_accepted()
    {
        var ride = await api.Scenario().OfferedRideAsync();

        await Scenario.EventuallyAsync(async () =>
        {
            using var response = await ride.Driver.GetAsync("/driver/offer");
            return response.StatusCode == HttpStatusCode.NoContent ? response.StatusCode.ToString() : null;
        }, "the offer to expire");

        using var late = await ride.Driver.PostAsync("/driver/offer/accept", new { order_id = ride.OrderId });
        await late.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("NO_DRIVER", (await ride.Rider.GetOkAsync($"/customer/order?id={ride.OrderId}")).Str("status"));
    }
}
