using Microsoft.AspNetCore.Diagnostics;

namespace Atlas.Api.Errors;

/// <summary>Turns every exception that leaves an endpoint into a problem response (<see cref="ExceptionProblems"/>) and logs it by severity.</summary>
internal sealed partial class ApiExceptionHandler(ProblemWriter writer, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.RequestAborted.IsCancellationRequested && exception is OperationCanceledException)
        {
            return true; // the client went away: nobody to answer
        }
        if (httpContext.Response.HasStarted)
        {
            LogTooLate(httpContext.Request.Method, httpContext.Request.Path, exception);
            return false;
        }
        var problem = ExceptionProblems.Map(exception);
        switch (problem.Status)
        {
            case >= 500 and not StatusCodes.Status503ServiceUnavailable:
                LogFailed(httpContext.Request.Method, httpContext.Request.Path, exception);
                break;
            case StatusCodes.Status503ServiceUnavailable:
                // The cause, not Orleans' wrapper around it (whose message repeats the whole inner exception).
                var cause = ExceptionProblems.Unwrap(exception);
                LogUnavailable(httpContext.Request.Method, httpContext.Request.Path, cause.GetType().Name, cause.Message);
                break;
            default:
                LogRefused(httpContext.Request.Method, httpContext.Request.Path, problem.Status, problem.Code, exception.Message);
                break;
        }
        await writer.WriteAsync(httpContext, problem, exception);
        return true;
    }

    [LoggerMessage(LogLevel.Error, "{Method} {Path} failed")]
    private partial void LogFailed(string method, string path, Exception exception);

    [LoggerMessage(LogLevel.Warning, "{Method} {Path} unavailable: {ExceptionType}: {Reason}")]
    private partial void LogUnavailable(string method, string path, string exceptionType, string reason);

    [LoggerMessage(LogLevel.Debug, "{Method} {Path} refused with {Status} {Code}: {Reason}")]
    private partial void LogRefused(string method, string path, int status, string code, string reason);

    [LoggerMessage(LogLevel.Error, "{Method} {Path} failed after the response started")]
    private partial void LogTooLate(string method, string path, Exception exception);
}
