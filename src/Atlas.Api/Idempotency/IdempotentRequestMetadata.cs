namespace Atlas.Api.Idempotency;

/// <summary>Marks a route whose requests honour an <c>Idempotency-Key</c> header (those that create rides or move money).</summary>
public sealed class IdempotentRequestMetadata
{
    public static IdempotentRequestMetadata Instance { get; } = new();
}

/// <summary>Declares idempotency on routes.</summary>
public static class IdempotencyEndpointExtensions
{
    /// <summary>A retry with the same <c>Idempotency-Key</c> gets the first response; the key on another request is a 422.</summary>
    public static TBuilder WithIdempotency<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(IdempotentRequestMetadata.Instance);
}
