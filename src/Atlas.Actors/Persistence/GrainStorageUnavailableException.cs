namespace Atlas.Actors.Persistence;

/// <summary>
/// A grain storage provider could not reach its store (it is down, unreachable or timed out). Nothing was written
/// by the failed call, or — if the connection broke while a write was being acknowledged — the write is fenced by
/// its ETag, so a retry can never overwrite a newer version. Callers may retry later; an HTTP edge maps it to 503.
/// </summary>
public sealed class GrainStorageUnavailableException : Exception
{
    public GrainStorageUnavailableException(string message, string provider, Exception? inner = null) : base(message, inner)
    {
        Provider = provider;
    }

    /// <summary>The provider that failed, e.g. <c>PostgreSQL grain storage 'Default'</c>.</summary>
    public string Provider { get; }
}
