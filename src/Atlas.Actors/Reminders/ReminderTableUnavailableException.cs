namespace Atlas.Actors.Reminders;

/// <summary>
/// A reminder table could not reach its store (it is down, unreachable or timed out). The reminder service keeps
/// the reminders it had scheduled and re-reads the table when it is back; registering or removing a reminder fails.
/// </summary>
public sealed class ReminderTableUnavailableException : Exception
{
    public ReminderTableUnavailableException(string message, string provider, Exception? inner = null) : base(message, inner)
    {
        Provider = provider;
    }

    /// <summary>The table that failed, e.g. <c>PostgreSQL reminder table</c>.</summary>
    public string Provider { get; }
}
