using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Atlas.Api.Json;
using Microsoft.AspNetCore.Mvc;

namespace Atlas.Api.Errors;

/// <summary>Writes an <see cref="ApiProblem"/> as <c>application/problem+json</c>, whatever the request's Accept header says.</summary>
public sealed class ProblemWriter(IProblemDetailsService problemDetails)
{
    public async Task WriteAsync(HttpContext context, ApiProblem problem, Exception? exception = null)
    {
        var response = context.Response;
        response.StatusCode = problem.Status;
        if (problem.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = RetryAfterSeconds(retryAfter);
        }
        var details = ToDetails(problem);
        Decorate(details, context);
        var written = await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = details,
            Exception = exception,
        });
        if (!written)
        {
            // The client's Accept header rules out JSON; an error still gets its problem document.
            response.ContentType = "application/problem+json";
            await JsonSerializer.SerializeAsync(response.Body, details, details.GetType(), ApiJson.Options, context.RequestAborted);
        }
    }

    public static ProblemDetails ToDetails(ApiProblem problem)
    {
        ProblemDetails details = problem.Errors is { } errors ? new HttpValidationProblemDetails(errors) : new ProblemDetails();
        details.Status = problem.Status;
        details.Type = problem.Type;
        details.Title = problem.Title;
        details.Detail = problem.Detail;
        foreach (var (key, value) in problem.Extensions)
        {
            details.Extensions[key] = value;
        }
        return details;
    }

    /// <summary>Every problem names the request path and its trace id, so a report can be matched to the logs.</summary>
    public static void Decorate(ProblemDetails details, HttpContext context)
    {
        // Problems the framework writes (unknown route, wrong method or media type) get Atlas types too.
        if (details.Type is null || details.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
        {
            details.Type = ApiProblem.TypePrefix + CodeForStatus(details.Status ?? context.Response.StatusCode);
        }
        details.Instance ??= context.Request.Path.Value;
        details.Extensions.Remove("traceId");
        details.Extensions["trace_id"] = Activity.Current?.Id ?? context.TraceIdentifier;
    }

    private static string CodeForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad-request",
        StatusCodes.Status401Unauthorized => "unauthenticated",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not-found",
        StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
        StatusCodes.Status406NotAcceptable => "not-acceptable",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status413PayloadTooLarge => "payload-too-large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported-media-type",
        StatusCodes.Status429TooManyRequests => "rate-limited",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        >= 500 => "internal",
        _ => "http-" + status.ToString(CultureInfo.InvariantCulture),
    };

    public static string RetryAfterSeconds(TimeSpan delay) =>
        Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
