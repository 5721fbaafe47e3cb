using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Grains.Idempotency;

/// <summary>
/// One idempotency key of one caller (key: <see cref="IdempotencyKeys.For"/>): remembers the fingerprint of the
/// first request that used it and, once that request succeeded, its response, so a retry gets the same answer and a
/// different request with the same key is refused. Records expire after <see cref="IdempotencyOptions.Retention"/>.
/// </summary>
public interface IIdempotencyGrain : IGrainWithStringKey, IRemindable
{
    /// <summary>
    /// Starts a request with this fingerprint: the caller may run it (<see cref="IdempotencyOutcome.Started"/>), or
    /// gets the stored response, or is told that the key means another request or that the first is still running.
    /// </summary>
    Task<IdempotencyDecision> Begin(string fingerprint);

    /// <summary>Stores the response of the request that <see cref="Begin"/> started.</summary>
    Task Complete(string fingerprint, IdempotentResponse response);

    /// <summary>The started request failed without effect: forget the key so that it may be used again.</summary>
    Task Abandon(string fingerprint);
}

/// <summary>Names idempotency records.</summary>
public static class IdempotencyKeys
{
    /// <summary>Keys are scoped to their caller: two callers may use the same key for unrelated requests.</summary>
    public static string For(string callerId, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callerId);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return $"{callerId}|{key}";
    }
}
