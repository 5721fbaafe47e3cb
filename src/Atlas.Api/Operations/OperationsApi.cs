using System.Text.Json;
using Atlas.Api.Auth;
using Atlas.Api.Hosting;
using Atlas.Api.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Atlas.Api.Operations;

/// <summary>Health, metrics, version, the OpenAPI document and the docs page.</summary>
public static class OperationsApi
{
    public const string ReadyTag = "ready";

    public static IServiceCollection AddApiOperations(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName);
        services.AddSingleton<PrometheusExporter>();
        services.AddHealthChecks().AddCheck<PlatformHealthCheck>("platform", tags: [ReadyTag]);
        services.AddApiOpenApi();
        return services;
    }

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder routes)
    {
        // Listening from the first request on, so counters start with the process.
        routes.ServiceProvider.GetRequiredService<PrometheusExporter>();

        routes.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync })
            .AllowAnonymous().WithTags("Operations").WithName("Liveness").WithSummary("The process is up");
        routes.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteHealthAsync })
            .AllowAnonymous().WithTags("Operations").WithName("Readiness").WithSummary("The silo is active and its storage answers");

        var group = routes.MapGroup("").WithTags("Operations");
        group.MapGet("/version", (PlatformPlan plan) => TypedResults.Ok(VersionInfo.Current(plan.Mode.ToString().ToLowerInvariant())))
            .AllowAnonymous().WithName("Version").WithSummary("Build version and git commit");
        group.MapGet("/metrics", (PrometheusExporter exporter) => TypedResults.Text(exporter.Render(), PrometheusExporter.ContentType))
            .RequireAuthorization(Policies.Admin).WithName("Metrics").WithSummary("Prometheus metrics (admin)");
        group.MapGet("/", () => TypedResults.Redirect("/docs")).AllowAnonymous().ExcludeFromDescription();
        routes.MapOpenApi().AllowAnonymous();
        return routes;
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
