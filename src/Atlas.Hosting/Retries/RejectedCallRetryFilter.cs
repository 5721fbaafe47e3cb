using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Hosting.Retries;

/// <summary>
/// Tries a grain call again when Orleans rejected it before it reached the grain (<see cref="OrleansMessageRejectionException"/>):
/// a silo that is stopping gracefully rejects the calls that still arrive for it ("Silo stopping"), a gateway or silo
/// rejects what it cannot send to a silo that just crashed, and in the second after, the call would reach the grain's
/// next activation. A rejected call did not run, so trying it again cannot apply it twice; calls that may have run
/// (<see cref="SiloUnavailableException"/>, <see cref="TimeoutException"/>) and every other failure pass unchanged.
/// Orleans' own calls (system targets: membership probes, the directory…) pass through untouched: a probe of a crashed
/// silo must fail at once, not after retries.
/// </summary>
internal sealed partial class RejectedCallRetryFilter(IOptions<RejectedCallRetryOptions> options, ILogger<RejectedCallRetryFilter> logger) : IOutgoingGrainCallFilter
{
    /// <summary>The prefix of Orleans' own grain and system-target types (<c>sys.svc.clustering</c>, <c>sys.client</c>…).</summary>
    private const string SystemTypePrefix = "sys.";

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var retry = options.Value;
        if (retry.MaxAttempts <= 1 || context.TargetId.Type.ToString()!.StartsWith(SystemTypePrefix, StringComparison.Ordinal))
        {
            await context.Invoke();
            return;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Orleans' call context may be invoked again: each call of Invoke sends the request anew.
                await context.Invoke();
                if (attempt >= retry.MaxAttempts || context.Response?.Exception is not OrleansMessageRejectionException rejected)
                {
                    return;
                }
                LogRetry(context.InterfaceName, context.MethodName, context.TargetId, attempt, rejected.Message);
            }
            catch (OrleansMessageRejectionException rejected) when (attempt < retry.MaxAttempts)
            {
                LogRetry(context.InterfaceName, context.MethodName, context.TargetId, attempt, rejected.Message);
            }
            await Task.Delay(retry.Delay * attempt);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Call {Interface}.{Method} to {Target} was rejected before it ran (attempt {Attempt}: {Reason}); trying again")]
    private partial void LogRetry(string @interface, string method, GrainId target, int attempt, string reason);
}
