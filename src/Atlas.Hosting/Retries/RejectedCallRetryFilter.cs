using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Hosting.Retries;

/// <summary>
/// Tries a grain call again when Orleans rejected it before it reached the grain (<see cref="OrleansMessageRejectionException"/>):
/// a silo that is stopping gracefully rejects the calls that still arrive for it ("Silo stopping"), a gateway or silo
/// rejects what it cannot send to a silo that just crashed, and in the second after, the call would reach the grain's
/// next activation. A rejected call did not run, so trying it again cannot apply it twice; calls that may have run
/// (<see cref="SiloUnavailableException"/>, <see cref="TimeoutException"/>) and every other failure pass unchanged.
/// </summary>
internal sealed partial class RejectedCallRetryFilter(IOptions<RejectedCallRetryOptions> options, ILogger<RejectedCallRetryFilter> logger) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var retry = options.Value;
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
