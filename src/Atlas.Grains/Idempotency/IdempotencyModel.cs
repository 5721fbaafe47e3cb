namespace Atlas.Grains.Idempotency;

/// <summary>What <see cref="IIdempotencyGrain.Begin"/> decided.</summary>
[GenerateSerializer, Alias("atlas.IdempotencyOutcome")]
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
[GenerateSerializer, Immutable, Alias("atlas.IdempotentResponse")]
public sealed record IdempotentResponse([property: Id(0)] int StatusCode, [property: Id(1)] string? ContentType, [property: Id(2)] string Body);

/// <summary>The answer to <see cref="IIdempotencyGrain.Begin"/>.</summary>
[GenerateSerializer, Immutable, Alias("atlas.IdempotencyDecision")]
public sealed record IdempotencyDecision([property: Id(0)] IdempotencyOutcome Outcome, [property: Id(1)] IdempotentResponse? Response = null, [property: Id(2)] DateTimeOffset? RetryAt = null);

/// <summary>What an idempotency record stores.</summary>
[GenerateSerializer, Alias("atlas.IdempotencyState")]
public sealed class IdempotencyState
{
    [Id(0)]
    public string? Fingerprint { get; set; }

    [Id(1)]
    public IdempotentResponse? Response { get; set; }

    /// <summary>While set and in the future, the first request is taken to be still running.</summary>
    [Id(2)]
    public DateTimeOffset? PendingUntil { get; set; }

    [Id(3)]
    public DateTimeOffset ExpiresAt { get; set; }
}
