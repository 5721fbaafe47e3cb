using System.Security.Cryptography;
using System.Text;
using Orleans;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Grains.Idempotency;

namespace Atlas.Api.Idempotency;

/// <summary>
/// Honours <c>Idempotency-Key</c> on routes marked <see cref="IdempotentRequestMetadata"/>. The key is scoped to
/// the caller; the request's fingerprint (method, path, query, body) is kept with it in an
/// <see cref="IIdempotencyGrain"/>, so every API process of a cluster agrees. Only successful (2xx) responses are
/// stored and replayed: a refused or failed request changed nothing, so its key may be retried, with the same body or
/// a corrected one.
/// </summary>
internal sealed partial class IdempotencyMiddleware(RequestDelegate next, IGrainFactory grains, ProblemWriter problems, ILogger<IdempotencyMiddleware> logger)
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeaderName = "Idempotent-Replayed";
    public const int MaxKeyLength = 200;

    /// <summary>Bodies of idempotent routes are small JSON documents; anything bigger is not worth remembering.</summary>
    private const int MaxBodyBytes = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotentRequestMetadata>() is null ||
            !context.Request.Headers.TryGetValue(HeaderName, out var values))
        {
            await next(context);
            return;
        }
        var key = values.Count == 1 ? values[0] : null;
        if (!IsValidKey(key))
        {
            await problems.WriteAsync(context, ApiProblem.Validation(HeaderName, $"must be one value of 1 to {MaxKeyLength} visible ASCII characters."));
            return;
        }
        if (Caller.TryFrom(context.User) is not { } caller)
        {
            await next(context); // not authenticated: the endpoint refuses it anyway
            return;
        }

        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            await problems.WriteAsync(context, new ApiProblem(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Payload too large",
                $"Idempotent requests may carry at most {MaxBodyBytes} bytes."));
            return;
        }
        var fingerprint = Fingerprint(context.Request, body);
        var record = grains.GetGrain<IIdempotencyGrain>(IdempotencyKeys.For(caller.Key, key!));
        var decision = await record.Begin(fingerprint);
        switch (decision.Outcome)
        {
            case IdempotencyOutcome.Replay:
                LogReplay(caller.Key, key!);
                await ReplayAsync(context, decision.Response!);
                return;
            case IdempotencyOutcome.Conflict:
                await problems.WriteAsync(context, new ApiProblem(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused",
                    "Idempotency key reused", $"The key '{key}' was used for a different request; use a new key for a new request."));
                return;
            case IdempotencyOutcome.InProgress:
                var wait = decision.RetryAt is { } at ? at - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(1);
                await problems.WriteAsync(context, new ApiProblem(StatusCodes.Status409Conflict, "idempotency-key-in-use",
                    "Request in progress", $"A request with the key '{key}' is still running; retry later for its response.")
                {
                    RetryAfter = wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait,
                });
                return;
        }

        await RunAndRecordAsync(context, record, fingerprint);
    }

    private async Task RunAndRecordAsync(HttpContext context, IIdempotencyGrain record, string fingerprint)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        var completed = false;
        try
        {
            await next(context);
            var response = context.Response;
            if (response.StatusCode is >= 200 and < 300)
            {
                var stored = new IdempotentResponse(response.StatusCode, response.ContentType, Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
                try
                {
                    await record.Complete(fingerprint, stored);
                    completed = true;
                }
                catch (Exception exception)
                {
                    // The request did its work; only its replay is lost. After the pending lease a retry runs again,
                    // which the domain's own idempotency (ride per rider, wallet references) keeps harmless.
                    LogNotRecorded(exception);
                    completed = true;
                }
            }
        }
        finally
        {
            context.Response.Body = original;
            if (!completed)
            {
                await AbandonAsync(record, fingerprint);
            }
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    private async Task AbandonAsync(IIdempotencyGrain record, string fingerprint)
    {
        try
        {
            await record.Abandon(fingerprint);
        }
        catch (Exception exception)
        {
            LogNotAbandoned(exception); // the key frees itself when its pending lease runs out
        }
    }

    private static async Task ReplayAsync(HttpContext context, IdempotentResponse response)
    {
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType;
        context.Response.Headers[ReplayedHeaderName] = "true";
        await context.Response.WriteAsync(response.Body, Encoding.UTF8, context.RequestAborted);
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }
        request.EnableBuffering(MaxBodyBytes);
        using var copy = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            copy.Write(chunk, 0, read);
            if (copy.Length > MaxBodyBytes)
            {
                return null;
            }
        }
        request.Body.Position = 0;
        return copy.ToArray();
    }

    private static string Fingerprint(HttpRequest request, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        hash.AppendData(body);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    internal static bool IsValidKey(string? key) =>
        !string.IsNullOrEmpty(key) && key.Length <= MaxKeyLength && key.All(c => c is > ' ' and <= '~');

    [LoggerMessage(LogLevel.Debug, "Replayed idempotent response for {Caller} key {Key}")]
    private partial void LogReplay(string caller, string key);

    [LoggerMessage(LogLevel.Warning, "An idempotent response could not be recorded")]
    private partial void LogNotRecorded(Exception exception);

    [LoggerMessage(LogLevel.Warning, "An idempotency key could not be released after a failed request")]
    private partial void LogNotAbandoned(Exception exception);
}
