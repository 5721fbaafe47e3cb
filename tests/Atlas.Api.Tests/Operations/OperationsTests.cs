using System.Net;
using System.Text.Json.Nodes;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Operations;

[Collection(ApiCollection.Name)]
public sealed class OperationsTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task Liveness_is_healthy()
    {
        var health = await api.Client().GetOkAsync("/health/live");

        Assert.Equal("Healthy", health.Str("status"));
    }

    [Fact]
    public async Task Readiness_checks_the_silo_and_its_storage()
    {
        var health = await api.Client().GetOkAsync("/health/ready");

        Assert.Equal("Healthy", health.Str("status"));
        var check = Assert.Single(health["checks"]!.AsArray())!;
        Assert.Equal("platform", check.Str("name"));
        Assert.Contains("storage answers", check.Str("description"));
    }

    [Fact]
    public async Task Version_names_the_build()
    {
        var version = await api.Client().GetOkAsync("/version");

        Assert.Equal("Atlas.Api", version.Str("name"));
        Assert.False(string.IsNullOrWhiteSpace(version.Str("version")));
        Assert.Equal("embedded", version.Str("mode"));
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_template_and_status_in_prometheus_text()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.GetOkAsync("/wallet");

        using var response = await api.Admin().GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE atlas_http_requests_total counter", text);
        Assert.Contains("atlas_http_requests_total{method=\"GET\",route=\"/wallet\",status=\"200\"}", text);
        Assert.Contains("# TYPE atlas_http_request_duration_seconds histogram", text);
        Assert.Contains("atlas_http_request_duration_seconds_bucket{method=\"GET\",route=\"/wallet\",status=\"200\",le=\"+Inf\"}", text);
    }

    [Fact]
    public async Task Metrics_include_the_runtime_and_ride_meters()
    {
        var pickup = Scenario.RandomSpot();
        var (riderId, rider) = await _scenario.RiderWithFundsAsync();
        await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, Scenario.Offset(pickup, 1000, 0)));

        using var response = await api.Admin().GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        // Orleans' own meter (Microsoft.Orleans): grain calls were timed, and the silo reports its activations.
        Assert.Contains("# TYPE orleans_app_requests_latency_milliseconds histogram", text);
        Assert.Matches(@"(?m)^orleans_app_requests_latency_milliseconds_count(\{[^}]*\})? [1-9]", text);
        Assert.Contains("# TYPE orleans_catalog_activations gauge", text);
        Assert.Contains("# TYPE atlas_rides_requested_total counter", text);
        Assert.Contains("# TYPE atlas_rides_active gauge", text);
        Assert.Contains("# TYPE atlas_rides_no_driver_total counter", text);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_routes_in_snake_case_with_the_bearer_scheme()
    {
        var document = await api.Client().GetOkAsync("/openapi/v1.json");

        var paths = document["paths"]!.AsObject();
        foreach (var path in new[] { "/customer/order", "/customer/ride/request", "/driver/location", "/driver/order/status", "/wallet/topup", "/auth/token" })
        {
            Assert.True(paths.ContainsKey(path), $"{path} missing from the OpenAPI document");
        }
        Assert.Equal("CreateOrder", paths["/customer/order"]!["post"]!.Str("operationId"));
        Assert.NotNull(document["components"]!["securitySchemes"]!["Bearer"]);
        var orderSchema = document["components"]!["schemas"]!["OrderRequest"]!["properties"]!.AsObject();
        Assert.True(orderSchema.ContainsKey("pickup_lat"));
        Assert.True(orderSchema.ContainsKey("user_id"));
    }

    [Fact]
    public async Task The_docs_page_is_served()
    {
        using var response = await api.Client().GetAsync("/docs/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_operation_but_the_anonymous_ones_requires_the_bearer_scheme()
    {
        var document = await api.Client().GetOkAsync("/openapi/v1.json");
        var anonymous = new HashSet<string> { "/auth/token", "/health/live", "/health/ready", "/version" };

        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (_, operation) in operations!.AsObject())
            {
                var secured = operation!["security"] is JsonArray { Count: > 0 };
                Assert.True(secured != anonymous.Contains(path), $"{path}: secured={secured}");
            }
        }
    }
}
