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
    public async Task Metrics_count_requests_by_route_template_method_and_status_in_prometheus_text()
    {
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.GetOkAsync("/wallet");
        using var missing = await rider.GetAsync("/customer/order?id=" + Scenario.NewId("nowhere"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var text = await MetricsTextAsync();

        // ASP.NET Core's own histogram, labelled by the route template (never the raw path), method and status.
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Matches(Series("http_server_request_duration_seconds_count",
            ("http_request_method", "GET"), ("http_response_status_code", "200"), ("http_route", "/wallet")), text);
        Assert.Matches(Series("http_server_request_duration_seconds_bucket",
            ("http_request_method", "GET"), ("http_response_status_code", "200"), ("http_route", "/wallet"), ("le", "+Inf")), text);
        // A refusal raised as an exception (the order is unknown) still carries its route after the exception handler ran.
        Assert.Matches(Series("http_server_request_duration_seconds_count",
            ("http_request_method", "GET"), ("http_response_status_code", "404"), ("http_route", "/customer/order")), text);
        Assert.DoesNotContain("nowhere", text);
    }

    [Fact]
    public async Task After_a_ride_request_metrics_hold_http_orleans_runtime_and_atlas_series()
    {
        await _scenario.OfferedRideAsync();

        var text = await MetricsTextAsync();

        Assert.Matches(Series("http_server_request_duration_seconds_count",
            ("http_request_method", "POST"), ("http_response_status_code", "200"), ("http_route", "/customer/ride/request")), text);
        // Orleans' own meter (Microsoft.Orleans): grain calls were timed, and the silo reports its activations.
        Assert.Contains("# TYPE orleans_app_requests_latency_milliseconds histogram", text);
        Assert.Matches(@"(?m)^orleans_app_requests_latency_milliseconds_count(\{[^}]*\})? [1-9]", text);
        Assert.Contains("# TYPE orleans_catalog_activations gauge", text);
        // The .NET runtime.
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", text);
        // Atlas' meters: the ride, its offer to the driver, the driver's position in the geo index, the rider's top-up.
        Assert.Matches(@"(?m)^atlas_rides_requested_total(\{[^}]*\})? [1-9]", text);
        Assert.Contains("# TYPE atlas_rides_active gauge", text);
        Assert.Matches(@"(?m)^atlas_dispatch_offers_total(\{[^}]*\})? [1-9]", text);
        Assert.Matches(@"(?m)^atlas_geo_index_updates_total(\{[^}]*\})? [1-9]", text);
        Assert.Matches(Series("atlas_wallets_movements_total", ("kind", "top_up")), text);
        Assert.Contains("# TYPE atlas_wallets_ledger_batch_size histogram", text);
    }

    [Fact]
    public async Task Metrics_are_offered_as_openmetrics_to_a_scraper_that_asks()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new("Bearer", api.TokenFor("admin-scraper", "admin"));
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");

        using var response = await api.CreateClient().SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("# EOF\n", text);
    }

    private async Task<string> MetricsTextAsync()
    {
        using var response = await api.Admin().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A series of <paramref name="name"/> whose labels include these (in any order, among others), with a value of at least 1.</summary>
    private static string Series(string name, params (string Label, string Value)[] labels) =>
        "(?m)^" + System.Text.RegularExpressions.Regex.Escape(name) + @"\{" +
        string.Concat(labels.Select(l => $@"(?=[^}}]*\b{l.Label}=""{System.Text.RegularExpressions.Regex.Escape(l.Value)}"")")) +
        @"[^}]*\} [1-9]";

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
    public async Task The_docs_page_is_scalars_reference_of_the_openapi_document_from_this_server_alone()
    {
        using var response = await api.Client().GetAsync("/docs/");
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script src=\"scalar.js\"></script>", page);
        Assert.Contains("\"url\":\"openapi/v1.json\"", page);
        // Nothing that reaches beyond this server: no CDN fonts, no request proxy, no telemetry, no AI chat.
        Assert.DoesNotContain("http://", page);
        Assert.DoesNotContain("https://", page);
        Assert.Contains("\"withDefaultFonts\":false", page);
        Assert.Contains("\"proxyUrl\":\"\"", page);
        Assert.Contains("\"telemetry\":false", page);
        Assert.Contains("\"agent\":{\"disabled\":true}", page);
        using var script = await api.Client().GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
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
