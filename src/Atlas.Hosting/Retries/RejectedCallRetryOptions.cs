namespace Atlas.Hosting.Retries;

/// <summary>How a call that Orleans rejected before delivering it is tried again (section <c>Atlas:RejectedCallRetry</c>).</summary>
public sealed class RejectedCallRetryOptions
{
    public const string SectionName = "Atlas:RejectedCallRetry";

    /// <summary>Attempts in all, the first included (default 5; 1 turns retries off).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry, growing by as much before each further one (default 200 ms: 2 s in all).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(200);
}
