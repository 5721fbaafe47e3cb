namespace Atlas.Api.Errors;

/// <summary>
/// An error as the API reports it (RFC 7807): status, a stable <c>type</c> (<c>urn:atlas:problem:…</c>) that clients
/// can switch on, a title, a detail for people, field errors for 400s, and extension members.
/// </summary>
public sealed record ApiProblem(int Status, string Code, string Title, string Detail)
{
    public const string TypePrefix = "urn:atlas:problem:";

    public string Type => TypePrefix + Code;

    /// <summary>Field name (as on the wire) → what is wrong with it; only for validation problems.</summary>
    public IDictionary<string, string[]>? Errors { get; init; }

    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = new Dictionary<string, object?>();

    /// <summary>When set, sent as <c>Retry-After</c> (whole seconds, at least 1).</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static ApiProblem Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        new(StatusCodes.Status400BadRequest, "validation", "The request is not valid.", detail ?? "See errors for each field.")
        {
            Errors = errors,
        };

    public static ApiProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] }, $"{field} {message}");
}
