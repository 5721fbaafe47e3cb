using Atlas.Hosting.Telemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Atlas.Api.Operations;

/// <summary>
/// The API's telemetry: the wiring every Atlas process shares (<see cref="TelemetryHostBuilderExtensions.AddAtlasTelemetry"/>),
/// plus ASP.NET Core's own metrics (<c>http.server.request.duration</c> by route template, method and status; Kestrel
/// connections; rate limiting) and request spans, and the Prometheus exporter behind <c>/metrics</c>.
/// </summary>
public static class ApiTelemetry
{
    /// <summary>The <c>service.name</c> of the API (unless <c>OTEL_SERVICE_NAME</c> says otherwise).</summary>
    public const string ServiceName = "atlas-api";

    /// <summary>
    /// The Prometheus exporter's own options (<c>PrometheusAspNetCoreOptions</c>), e.g.
    /// <c>Telemetry:Prometheus:ScrapeResponseCacheDurationMilliseconds</c> (default 300).
    /// </summary>
    public const string PrometheusSectionName = "Telemetry:Prometheus";

    public static WebApplicationBuilder AddApiTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<PrometheusAspNetCoreOptions>().BindConfiguration(PrometheusSectionName);
        builder.AddAtlasTelemetry(ServiceName,
            metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter(),
            tracing => tracing.AddAspNetCoreInstrumentation(o => o.Filter = IsTraced));
        return builder;
    }

    /// <summary>Scrapes, probes, the docs and the dashboard's polling would drown the requests worth a trace.</summary>
    private static bool IsTraced(HttpContext context)
    {
        var path = context.Request.Path;
        return !(path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health") || path.StartsWithSegments("/docs")
                 || path.StartsWithSegments(Admin.OrleansDashboard.RoutePrefix));
    }
}
