namespace Atlas.Actors.Reminders;

/// <summary>A durable reminder as stored: it first fires at <see cref="StartAtUtc"/>, then every <see cref="Period"/>.</summary>
public sealed record ReminderEntry
{
    public required GrainId GrainId { get; init; }
    public required string ReminderName { get; init; }
    public required DateTime StartAtUtc { get; init; }
    public required TimeSpan Period { get; init; }

    /// <summary>The row's version; set by the table.</summary>
    public string ETag { get; init; } = "";

    /// <summary>The grain's position on the placement ring (<see cref="GrainId.PlacementHash"/>).</summary>
    public uint GrainHash => GrainId.PlacementHash;
}

/// <summary>
/// Where reminders are kept. Each silo reads the reminders of the ring ranges it owns, so the table must answer
/// range queries on <see cref="GrainId.PlacementHash"/>. Implementations: in-memory, PostgreSQL, SQLite.
/// </summary>
public interface IReminderTable
{
    /// <summary>Creates whatever the table needs (idempotent).</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reminders whose grain hash lies in the ring range (<paramref name="beginExclusive"/>, <paramref name="endInclusive"/>];
    /// when begin ≥ end the range wraps around zero.
    /// </summary>
    Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(uint beginExclusive, uint endInclusive, CancellationToken cancellationToken = default);

    Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces the reminder; returns the new ETag.</summary>
    Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes the reminder if its ETag still matches; returns whether a row was removed.</summary>
    Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken = default);
}

/// <summary>Ring-range arithmetic shared by reminder tables.</summary>
public static class RingRange
{
    /// <summary>Whether <paramref name="hash"/> lies in (begin, end], wrapping when begin ≥ end.</summary>
    public static bool Contains(uint beginExclusive, uint endInclusive, uint hash) =>
        beginExclusive < endInclusive
            ? hash > beginExclusive && hash <= endInclusive
            : hash > beginExclusive || hash <= endInclusive;
}
