using System.Net;
using System.Net.Http.Headers;
using Atlas.Api.Auth;
using Atlas.Simulator.Command;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Atlas.Simulator.Tests;

/// <summary>The simulator against a real Atlas over the network, a few seconds per city.</summary>
[Collection(PlatformCollection.Name)]
public sealed class SimulationTests(PlatformOnKestrel platform, ITestOutputHelper output)
{
    /// <summary>A small, fast city: a dozen drivers, a ride a second, rides of a few seconds.</summary>
    private SimulatorOptions SmallCity() => new()
    {
        Url = platform.Url,
        GrpcUrl = platform.GrpcUrl,
        Drivers = 12,
        RidesPerSecond = 1,
        Duration = TimeSpan.FromSeconds(6),
        Drain = TimeSpan.FromSeconds(30),
        SpeedKmh = 3_000,
        ProgressEvery = TimeSpan.FromSeconds(2),
        Seed = 7,
    };

    [Fact]
    public async Task An_assign_city_paying_cash_requests_matches_and_finishes_rides_without_errors()
    {
        var result = await new CitySimulation(SmallCity(), output.WriteLine).RunAsync();
        output.WriteLine(result.ToJson().ToJsonString());

        Assert.Equal(("default", "assign", "cash", "grpc"), (result.City, result.Dispatch, result.Payment, result.PositionTransport));
        Assert.Equal(0, result.Errors);
        Assert.True(result.RidesRequested >= 4, $"{result.RidesRequested} rides requested");
        // Every ride was either matched at once or found no driver, and every matched ride was driven to its end.
        Assert.Equal(result.RidesRequested, result.RidesMatched + result.RidesNoDriver);
        Assert.True(result.RidesMatched > 0);
        Assert.Equal(result.RidesMatched, result.RidesFinished);
        Assert.True(result.TimeToMatchP50Ms > 0);
        // The drivers' positions reached the platform (acknowledged on their gRPC calls) about once a second each.
        Assert.True(result.PositionsPerSecond > 12 * 0.5, $"{result.PositionsPerSecond:0.0} positions/s");
        Assert.True(result.TopUps >= 12, "each driver tops up its wallet for cash rides' commissions");
        Assert.Equal(0, result.WindUpErrors);
    }

    [Fact]
    public async Task An_offer_city_paying_by_wallet_gets_offers_accepted_and_declined_and_finishes_rides_without_errors()
    {
        var options = SmallCity() with
        {
            City = PlatformOnKestrel.OfferCity,
            Payment = SimulatedPayment.Wallet,
            Positions = PositionTransport.Http,
            AcceptProbability = 0.6,
        };
        var result = await new CitySimulation(options, output.WriteLine).RunAsync();
        output.WriteLine(result.ToJson().ToJsonString());

        Assert.Equal((PlatformOnKestrel.OfferCity, "offer", "wallet", "http"), (result.City, result.Dispatch, result.Payment, result.PositionTransport));
        Assert.Equal(0, result.Errors);
        Assert.True(result.RidesRequested >= 4, $"{result.RidesRequested} rides requested");
        Assert.True(result.RidesMatched > 0 && result.RidesFinished > 0, $"{result.RidesMatched} matched, {result.RidesFinished} finished");
        Assert.Equal(result.RidesMatched, result.OffersAccepted);
        Assert.True(result.OffersDeclined > 0, "drivers accepting 60 % of offers decline some");
        Assert.True(result.TopUps > 0, "riders paying by wallet top it up");
        Assert.True(result.PositionsPerSecond > 12 * 0.5, $"{result.PositionsPerSecond:0.0} positions/s");
    }

    [Fact]
    public async Task A_run_cut_short_leaves_no_ride_open_every_ride_cancelled_or_finished()
    {
        // No drain: the clock stops with rides in every stage.
        var options = SmallCity() with { Drain = TimeSpan.Zero, SpeedKmh = 600, RunId = "sim-cut-" + Guid.NewGuid().ToString("N")[..6] };
        var result = await new CitySimulation(options, output.WriteLine).RunAsync();
        output.WriteLine(result.ToJson().ToJsonString());

        Assert.Equal(0, result.Errors);
        Assert.Equal(0, result.WindUpErrors);
        Assert.True(result.WoundUp.Cancelled + result.WoundUp.Finished > 0, "rides were open when the clock stopped");
        // Every ride requested ended one way or another: driven to the end, cancelled by its rider, or no driver.
        Assert.Equal(result.RidesRequested,
            result.RidesFinished + result.WoundUp.Finished + result.RidesCancelled + result.WoundUp.Cancelled + result.RidesNoDriver);
        // And the platform agrees: no simulated driver is on a ride any more.
        var tokens = platform.Services.GetRequiredService<TokenService>();
        using var http = new HttpClient { BaseAddress = platform.Url };
        for (var i = 0; i < options.Drivers; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/driver/order");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Issue($"{options.RunId}-driver-{i}", Roles.Driver).AccessToken);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
    }
}
