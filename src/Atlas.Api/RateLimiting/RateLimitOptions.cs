namespace Atlas.Api.RateLimiting;

/// <summary>Per-caller request limits (section <c>RateLimits</c>); each is a fixed window per caller.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary><c>POST /driver/location</c> per driver (default 20 per 10 s: one every half second).</summary>
    public WindowLimit LocationUpdates { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromSeconds(10) };

    /// <summary>Every other authenticated route, per caller (default 120 per 10 s).</summary>
    public WindowLimit PerCaller { get; set; } = new() { PermitLimit = 120, Window = TimeSpan.FromSeconds(10) };

    /// <summary><c>POST /auth/token</c> per client address (default 30 per minute).</summary>
    public WindowLimit TokenIssuing { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>At most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
public sealed class WindowLimit
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }
}
