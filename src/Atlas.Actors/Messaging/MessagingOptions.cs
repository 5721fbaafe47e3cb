namespace Atlas.Actors.Messaging;

/// <summary>Call timeouts and routing limits.</summary>
public sealed class MessagingOptions
{
    /// <summary>How long a call may take before it fails with <see cref="GrainCallTimeoutException"/> (default 30 s; per method: [ResponseTimeout]).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a request may be forwarded between silos whose views disagree (default 2).</summary>
    public int MaxForwardCount { get; set; } = 2;

    /// <summary>How long a silo or client waits for a connection to another silo (default 5 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A stopping silo keeps forwarding until no request has reached it for this long, so that callers that had not yet
    /// seen it leave are rerouted rather than failed (default 500 ms).
    /// </summary>
    public TimeSpan ShutdownQuietPeriod { get; set; } = TimeSpan.FromMilliseconds(500);
}
