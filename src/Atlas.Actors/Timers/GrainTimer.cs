namespace Atlas.Actors;

/// <summary>A grain timer: its callbacks run as turns of the activation, and it dies with the activation.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Reschedules the timer.</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}

/// <summary>How a grain timer behaves.</summary>
public readonly record struct GrainTimerCreationOptions(TimeSpan DueTime, TimeSpan Period)
{
    /// <summary>Whether ticks may interleave with requests (default: a tick waits for running requests, like a request).</summary>
    public bool Interleave { get; init; }

    /// <summary>Whether ticks count as activity that keeps the activation from idle collection (default: no).</summary>
    public bool KeepAlive { get; init; }
}
