using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Testing.Servers;

namespace Atlas.Api.Tests.Embedded;

/// <summary>
/// The embedded API with <c>ConnectionStrings:Postgres</c>: grain state and reminders through Orleans' ADO.NET providers
/// and the ledger on the test PostgreSQL, under a cluster id (service id) of its own so that hosts do not share rows.
/// </summary>
public sealed class PostgresApiFactory : ApiFactory
{
    public string ClusterId { get; init; } = "api-tests-" + Guid.NewGuid().ToString("N")[..12];

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("ConnectionStrings:Postgres", TestPostgresServer.ConnectionString),
        new("Atlas:ClusterId", ClusterId),
    ];
}

/// <summary>Tests that stop the test PostgreSQL run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresOutageCollection
{
    public const string Name = "postgres outage";
}

[Collection(PostgresOutageCollection.Name)]
public sealed class PostgresPlatformTests
{
    [Fact]
    public async Task A_wallet_and_an_order_on_postgres_survive_a_restart_of_the_host()
    {
        var clusterId = "api-tests-" + Guid.NewGuid().ToString("N")[..12];
        string riderId, orderId;
        await using (var first = new PostgresApiFactory { ClusterId = clusterId })
        {
            (riderId, var rider) = await first.Scenario().RiderWithFundsAsync(3_456);
            var pickup = Scenario.RandomSpot();
            orderId = await Scenario.OrderAsync(rider, riderId, pickup, Scenario.Offset(pickup, 2000, 0));
        }

        await using var second = new PostgresApiFactory { ClusterId = clusterId };
        var again = second.Rider(riderId);
        Assert.Equal(3_456, (await again.GetOkAsync("/wallet")).Long("balance"));
        Assert.Equal("CREATED", (await again.GetOkAsync($"/customer/order?id={orderId}")).Str("status"));
    }

    [Fact]
    public async Task While_postgres_is_down_writes_and_readiness_answer_503_and_the_platform_recovers_when_it_returns()
    {
        await using var api = new PostgresApiFactory();
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync(10_000);
        var pickup = Scenario.RandomSpot();
        var order = Scenario.OrderBody(riderId, pickup, Scenario.Offset(pickup, 1500, 0));
        Assert.Equal(HttpStatusCode.OK, (await api.Client().GetAsync("/health/ready")).StatusCode);

        await TestPostgresServer.StopAsync();
        try
        {
            using var refusedOrder = await rider.PostAsync("/customer/order", order);
            using var refusedTopUp = await rider.PostAsync("/wallet/topup", new { amount = 100, currency = "EUR", reference = "pg-outage" });
            using var ready = await api.Client().GetAsync("/health/ready");

            foreach (var refused in new[] { refusedOrder, refusedTopUp })
            {
                var problem = await refused.ProblemAsync(HttpStatusCode.ServiceUnavailable);
                Assert.Equal("urn:atlas:problem:unavailable", problem.Str("type"));
                Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            }
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("Storage did not answer", (await ready.JsonAsync())["checks"]![0]!.Str("description"));
        }
        finally
        {
            await TestPostgresServer.StartAsync();
        }

        // Pooled connections broken by the restart and activations that failed meanwhile clear within seconds.
        var created = await Scenario.EventuallyAsync(async () =>
        {
            using var response = await rider.PostAsync("/customer/order", order);
            return response.StatusCode == HttpStatusCode.OK ? await response.JsonAsync() : null;
        }, "an order once PostgreSQL is back");
        Assert.Equal("CREATED", created.Str("status"));
        Assert.Equal(10_000, (await rider.GetOkAsync("/wallet")).Long("balance"));
        Assert.Equal(HttpStatusCode.OK, (await api.Client().GetAsync("/health/ready")).StatusCode);
    }
}
