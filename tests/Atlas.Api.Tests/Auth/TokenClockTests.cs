using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace Atlas.Api.Tests.Auth;

/// <summary>The API on a clock the test moves (Orleans' own machinery stays on real time).</summary>
public sealed class MovedClockFactory : ApiFactory
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            foreach (var area in new[] { TimeProviderNames.Messaging, TimeProviderNames.SystemTimers, TimeProviderNames.Membership,
                         TimeProviderNames.ActivationManagement, TimeProviderNames.GrainDirectory })
            {
                services.AddKeyedSingleton(area, TimeProvider.System);
            }
        });
    }
}

/// <summary>Tokens are issued and their lifetime checked on the same clock, the host's.</summary>
public sealed class TokenClockTests(MovedClockFactory api) : IClassFixture<MovedClockFactory>
{
    [Fact]
    public async Task A_token_expires_when_the_hosts_clock_passes_its_lifetime_and_the_skew()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.GetOkAsync("/wallet");

        api.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(31));
        using var response = await rider.GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The token has expired.", problem.Str("detail"));
    }

    [Fact]
    public async Task Within_the_clock_skew_an_expired_token_still_counts()
    {
        var rider = api.Rider(Scenario.NewId("rider"));

        api.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(20));

        await rider.GetOkAsync("/wallet");
    }
}
