namespace Atlas.Grains.Idempotency;

/// <summary>How long idempotency records live.</summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>How long a key is remembered after its first use (default 24 h).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a started request holds its key before a retry may run it again (default 1 min): long enough for any
    /// request to finish, short enough that a request whose process died does not block its key for a day.
    /// </summary>
    public TimeSpan PendingLease { get; set; } = TimeSpan.FromMinutes(1);
}
