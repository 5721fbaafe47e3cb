namespace Atlas.Infrastructure.History;

/// <summary>The ride history's database is down, unreachable or too slow; the read can be retried later (HTTP 503).</summary>
[GenerateSerializer, Alias("atlas.RideHistoryUnavailableException")]
public sealed class RideHistoryUnavailableException : Exception
{
    public RideHistoryUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
