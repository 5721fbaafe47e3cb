namespace Atlas.Grains.Idempotency;

/// <summary>What <see cref="IIdempotencyGrain.Begin"/> decided.</summary>
public enum IdempotencyOutcome
{
    /// <summary>First use of the key (or the first attempt died): run the request, then complete or abandon it.</summary>
    Started,

    /// <summary>The key already produced a response: send it again.</summary>
    Replay,

    /// <summary>The key was used for a different request.</summary>
    Conflict,

    /// <summary>A request with this key is still running.</summary>
    InProgress,
}

/// <summary>A response kept for replays: status, content type and the body as text.</summary>
public sealed record IdempotentResponse(int StatusCode, string? ContentType, string Body);

/// <summary>The answer to <see cref="IIdempotencyGrain.Begin"/>.</summary>
public sealed record IdempotencyDecision(IdempotencyOutcome Outcome, IdempotentResponse? Response = null, DateTimeOffset? RetryAt = null);

/// <summary>What an idempotency record stores.</summary>
public sealed class IdempotencyState
{
    public string? Fingerprint { get; set; }

    public IdempotentResponse? Response { get; set; }

    /// <summary>While set and in the future, the first request is taken to be still running.</summary>
    public DateTimeOffset? PendingUntil { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
