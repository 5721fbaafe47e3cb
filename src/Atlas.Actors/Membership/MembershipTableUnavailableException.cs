namespace Atlas.Actors.Membership;

/// <summary>
/// The membership table's store cannot be reached (down, unreachable, or not answering in time). The operation's outcome
/// is unknown for writes; callers re-read the table and retry, and the compare-and-swap keeps a retried write from
/// applying twice. The store's own exception is the inner exception.
/// </summary>
public sealed class MembershipTableUnavailableException : Exception
{
    public MembershipTableUnavailableException(string endpoint, string operation, Exception cause)
        : base($"The membership table at {endpoint} is unavailable ({operation}): {cause.Message}", cause)
    {
        Endpoint = endpoint;
        Operation = operation;
    }

    /// <summary>Where the table lives (for Redis: the endpoints and key).</summary>
    public string Endpoint { get; }

    /// <summary>The table operation that failed.</summary>
    public string Operation { get; }
}
