using System.Net;
using System.Threading.RateLimiting;
using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Atlas.Api.RateLimiting;

/// <summary>The rate-limit policies routes declare, partitioned by caller; a refusal is a 429 problem with <c>Retry-After</c>.</summary>
public static class RateLimitPolicies
{
    public const string LocationUpdates = "location-updates";
    public const string PerCaller = "per-caller";
    public const string TokenIssuing = "token-issuing";

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .Validate(o => Valid(o.LocationUpdates) && Valid(o.PerCaller) && Valid(o.TokenIssuing),
                "Every RateLimits entry needs PermitLimit >= 1 and a Window of at least 1 ms.")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, limits) =>
        {
            var options = limits.Value;
            limiter.AddPolicy(LocationUpdates, context => ByCaller(context, options.LocationUpdates));
            limiter.AddPolicy(PerCaller, context => ByCaller(context, options.PerCaller));
            limiter.AddPolicy(TokenIssuing, context => RateLimitPartition.GetFixedWindowLimiter(
                "address:" + (context.Connection.RemoteIpAddress ?? IPAddress.Loopback), _ => Window(options.TokenIssuing)));
            limiter.OnRejected = OnRejectedAsync;
        });
        return services;
    }

    /// <summary>Authenticated requests count against their caller; others (refused later anyway) against their address.</summary>
    private static RateLimitPartition<string> ByCaller(HttpContext context, WindowLimit limit)
    {
        var key = Caller.TryFrom(context.User)?.Key ?? "address:" + (context.Connection.RemoteIpAddress ?? IPAddress.Loopback);
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => Window(limit));
    }

    private static FixedWindowRateLimiterOptions Window(WindowLimit limit) => new()
    {
        PermitLimit = limit.PermitLimit,
        Window = limit.Window,
        QueueLimit = 0, // refuse at once: a queued location update is a stale one
        AutoReplenishment = true,
    };

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var writer = context.RequestServices.GetRequiredService<ProblemWriter>();
        await writer.WriteAsync(context, new ApiProblem(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests",
            $"This caller exceeded its request rate for this route; retry after {ProblemWriter.RetryAfterSeconds(retryAfter)} s.")
        {
            RetryAfter = retryAfter,
        });
    }

    private static bool Valid(WindowLimit limit) => limit.PermitLimit >= 1 && limit.Window >= TimeSpan.FromMilliseconds(1);
}
