using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Atlas.Api.Operations;

/// <summary>The API's own instruments (meter <c>Atlas.Api</c>): requests and their duration by route template, method and status.</summary>
public static class HttpMetrics
{
    public const string MeterName = "Atlas.Api";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "atlas.http.requests", "{request}", "HTTP requests answered, by route template, method and status.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "atlas.http.request.duration", "s", "Time to answer an HTTP request, by route template, method and status.");

    /// <summary>Unknown paths share one label, so random URLs cannot create unbounded series.</summary>
    public const string UnmatchedRoute = "unmatched";

    internal static string MethodLabel(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "PATCH" or "HEAD" or "OPTIONS" => method,
        _ => "OTHER",
    };
}

/// <summary>Where the route template of a request is kept once routing found it (the exception handler clears the endpoint).</summary>
internal sealed class RouteTemplateFeature
{
    public string Route { get; set; } = HttpMetrics.UnmatchedRoute;
}

/// <summary>Measures every request, outermost in the pipeline so that the recorded status is the one sent.</summary>
internal sealed class HttpMetricsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var route = new RouteTemplateFeature();
        context.Features.Set(route);
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            var tags = new TagList
            {
                { "route", route.Route },
                { "method", HttpMetrics.MethodLabel(context.Request.Method) },
                { "status", StatusLabel(status) },
            };
            HttpMetrics.Requests.Add(1, tags);
            HttpMetrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    /// <summary>Placed right after routing: remembers the matched route template.</summary>
    public static RequestDelegate CaptureRoute(RequestDelegate next) => context =>
    {
        if (context.GetEndpoint() is RouteEndpoint endpoint && context.Features.Get<RouteTemplateFeature>() is { } feature)
        {
            // A group's own route ("/wallet" + "") reads "/wallet/"; label it as the apps call it.
            var route = endpoint.RoutePattern.RawText ?? HttpMetrics.UnmatchedRoute;
            feature.Route = route.Length > 1 ? route.TrimEnd('/') : route;
        }
        return next(context);
    };

    private static readonly string[] StatusLabels = Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string StatusLabel(int status) => status is >= 0 and < 600 ? StatusLabels[status] : "other";
}
