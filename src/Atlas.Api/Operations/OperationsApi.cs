using System.Text.Json;
using Atlas.Api.Auth;
using Atlas.Api.Hosting;
using Atlas.Api.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scalar.AspNetCore;

namespace Atlas.Api.Operations;

/// <summary>Health, metrics, version, the OpenAPI document and its interactive reference (<c>/docs</c>).</summary>
public static class OperationsApi
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddApiOperations(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<PlatformHealthCheck>("platform", tags: [ReadyTag]);
        services.AddApiOpenApi();
        return services;
    }

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync })
            .AllowAnonymous().WithTags("Operations").WithName("Liveness").WithSummary("The process is up");
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteHealthAsync })
            .AllowAnonymous().WithTags("Operations").WithName("Readiness").WithSummary("The silo is active and its storage answers");

        var group = routes.MapGroup("").WithTags("Operations");
        group.MapGet("/version", (PlatformPlan plan) => TypedResults.Ok(VersionInfo.Current(plan.Mode.ToString().ToLowerInvariant())))
            .AllowAnonymous().WithName("Version").WithSummary("Build version and git commit");
        // OpenTelemetry's Prometheus exporter: the text format, or OpenMetrics when the scraper asks for it.
        routes.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Policies.Admin)
            .WithTags("Operations").WithName("Metrics").WithSummary("Prometheus metrics (admin)");
        group.MapGet("/", () => TypedResults.Redirect(DocsPath)).AllowAnonymous().ExcludeFromDescription();
        routes.MapOpenApi().AllowAnonymous();
        routes.MapScalarApiReference(DocsPath, ConfigureDocs).AllowAnonymous();
        return routes;
    }

    /// <summary>Where the interactive reference of the OpenAPI document is served.</summary>
    public const string DocsPath = "/docs";

    /// <summary>
    /// Scalar's API reference, served from the Scalar.AspNetCore assembly itself. Everything that would reach beyond this
    /// server is off, so the page works offline and sends nothing elsewhere: its fonts (a CDN by default), its request
    /// proxy (proxy.scalar.com would relay "try it" requests, bearer tokens included, for non-local hosts), its usage
    /// telemetry and its AI chat.
    /// </summary>
    private static void ConfigureDocs(ScalarOptions options)
    {
        options.WithTitle("Atlas API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddPreferredSecuritySchemes([JwtBearerSetup.SchemeName])
            .DisableDefaultFonts()
            .DisableTelemetry()
            .WithProxy("")
            .DisableAgent()
            .HideDeveloperTools();
    }

    private static Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new HealthResponse(report.Status.ToString(), report.TotalDuration.TotalMilliseconds,
            report.Entries.Select(e => new HealthEntry(e.Key, e.Value.Status.ToString(), e.Value.Description, e.Value.Duration.TotalMilliseconds)).ToArray());
        return JsonSerializer.SerializeAsync(context.Response.Body, body, ApiJson.Options, context.RequestAborted);
    }

    private sealed record HealthResponse(string Status, double DurationMs, HealthEntry[] Checks);

    private sealed record HealthEntry(string Name, string Status, string? Description, double DurationMs);
}
