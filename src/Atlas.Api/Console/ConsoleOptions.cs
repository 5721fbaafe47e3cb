namespace Atlas.Api.Console;

/// <summary>The dispatcher console (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>Whether <c>/console</c> is served and the API follows the live feed (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Least time between two updates sent to one console (default 250 ms): changes in between go together. With the
    /// relays' <c>LiveFeed:FlushInterval</c> (100 ms) this bounds how late a change shows.
    /// </summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The window of time-to-match percentiles, cancellations and revenue beside the map (default 15 min).</summary>
    public TimeSpan MetricsWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a finished, cancelled or unmatched ride stays on the map (default 15 s).</summary>
    public TimeSpan ClosedRideLinger { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A driver with no news for this long leaves the map (default 10 min); after <c>Drivers:FreshnessWindow</c> it shows as stale.</summary>
    public TimeSpan ForgetDriverAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Consoles connected at once to this API at most (default 100); beyond, the event stream answers 503.</summary>
    public int MaxStreams { get; set; } = 100;

    internal IEnumerable<string> Validate()
    {
        if (PushInterval < TimeSpan.FromMilliseconds(10) || PushInterval > TimeSpan.FromSeconds(5))
        {
            yield return "Console:PushInterval must be between 10 ms and 5 s.";
        }
        if (MetricsWindow < TimeSpan.FromMinutes(1) || MetricsWindow > TimeSpan.FromDays(1))
        {
            yield return "Console:MetricsWindow must be between 1 minute and 1 day.";
        }
        if (ClosedRideLinger < TimeSpan.Zero || ClosedRideLinger > TimeSpan.FromHours(1))
        {
            yield return "Console:ClosedRideLinger must be between 0 and 1 hour.";
        }
        if (ForgetDriverAfter < TimeSpan.FromSeconds(10))
        {
            yield return "Console:ForgetDriverAfter must be at least 10 s.";
        }
        if (MaxStreams < 1)
        {
            yield return "Console:MaxStreams must be at least 1.";
        }
    }
}
