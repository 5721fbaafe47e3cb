using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Atlas.Api.Tests.Operations;

/// <summary>Hosts of their own: these tests stop silos.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Stopping_the_host_stops_the_co_hosted_silo_gracefully()
    {
        var factory = new ApiFactory();
        await factory.Client().GetOkAsync("/health/live");
        var silo = factory.Services.GetRequiredService<Silo>();
        Assert.False(silo.SiloTerminated.IsCompleted);

        await factory.DisposeAsync();

        Assert.True(silo.SiloTerminated.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task When_the_silo_is_gone_grain_routes_answer_503_with_retry_after_and_readiness_fails()
    {
        await using var factory = new ApiFactory();
        var rider = factory.Rider(Scenario.NewId("rider"));
        await rider.GetOkAsync("/wallet");
        await factory.Services.GetRequiredService<Silo>().StopAsync(CancellationToken.None);

        using var response = await rider.GetAsync("/customer/order?id=some-order");
        using var ready = await factory.Client().GetAsync("/health/ready");

        var problem = await response.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("urn:atlas:problem:unavailable", problem.Str("type"));
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", (await ready.JsonAsync()).Str("status"));
    }
}
