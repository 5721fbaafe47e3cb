namespace Atlas.Actors.Scheduling;

/// <summary>How activations share threads.</summary>
public sealed class SchedulingOptions
{
    /// <summary>How long an activation may keep a thread before yielding it to others (default 100 ms).</summary>
    public TimeSpan TurnQuantum { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Requests that hold an activation longer than this are logged as slow (default 1 s).</summary>
    public TimeSpan SlowRequestThreshold { get; set; } = TimeSpan.FromSeconds(1);
}
