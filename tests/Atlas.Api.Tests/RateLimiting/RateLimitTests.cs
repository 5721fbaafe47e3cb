using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.RateLimiting;

/// <summary>A host with tiny limits in long windows, so the limit is reached deterministically.</summary>
public sealed class TightLimitsFactory : ApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("RateLimits:LocationUpdates:PermitLimit", "3"),
        new("RateLimits:LocationUpdates:Window", "01:00:00"),
        new("RateLimits:PerCaller:PermitLimit", "5"),
        new("RateLimits:PerCaller:Window", "01:00:00"),
        new("RateLimits:TokenIssuing:PermitLimit", "2"),
        new("RateLimits:TokenIssuing:Window", "01:00:00"),
    ];
}

public sealed class RateLimitTests(TightLimitsFactory api) : IClassFixture<TightLimitsFactory>
{
    [Fact]
    public async Task Location_updates_beyond_the_limit_are_a_429_with_retry_after()
    {
        var id = Scenario.NewId("driver");
        var driver = api.Driver(id);
        for (var i = 0; i < 3; i++)
        {
            await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = 1.0, longitude = 1.0 + i * 0.001, timestamp = Scenario.NowMillis() + i });
        }

        using var response = await driver.PostAsync("/driver/location", new { user_id = id, latitude = 1.0, longitude = 1.01, timestamp = Scenario.NowMillis() + 10 });

        var problem = await response.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("urn:atlas:problem:rate-limited", problem.Str("type"));
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.True(retryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task One_driver_reaching_the_limit_does_not_limit_another()
    {
        var first = Scenario.NewId("driver");
        var client = api.Driver(first);
        for (var i = 0; i < 4; i++)
        {
            using var _ = await client.PostAsync("/driver/location", new { user_id = first, latitude = 1.0, longitude = 1.0, timestamp = Scenario.NowMillis() + i });
        }
        var second = Scenario.NewId("driver");

        var answer = await api.Driver(second).PostOkAsync("/driver/location", new { user_id = second, latitude = 1.0, longitude = 1.0 });

        Assert.True(answer["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Other_routes_are_limited_per_caller()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        for (var i = 0; i < 5; i++)
        {
            await rider.GetOkAsync("/wallet");
        }

        using var response = await rider.GetAsync("/wallet");

        await response.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(response.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Token_requests_are_limited_per_client_address()
    {
        var anonymous = api.Client();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await anonymous.PostAsync("/auth/token", new { user_id = $"u{i}", role = "rider" });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }
}
