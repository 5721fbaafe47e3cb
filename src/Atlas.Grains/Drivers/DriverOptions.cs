namespace Atlas.Grains.Drivers;

/// <summary>How drivers' locations are judged.</summary>
public sealed class DriverOptions
{
    public const string SectionName = "Drivers";

    /// <summary>A driver whose last location is older than this is not offered rides (default 30 s).</summary>
    public TimeSpan FreshnessWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far in the future a location timestamp may be, for clock skew (default 5 s).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the distance driven on a trip is saved while the trip runs (default 15 s).</summary>
    public TimeSpan TripCheckpointInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>An offer not resolved this long after it expired is released by the driver itself (default 30 s).</summary>
    public TimeSpan StaleOfferGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// At most one position per driver per this interval goes to the driver's position stream (location history, the
    /// console's live map); the newest position of an interval that had one already follows at its end, so the last
    /// position always arrives, at most this late (default 1 s; zero publishes every position). Drivers' apps send a
    /// position every few seconds; a burst faster than this would cost a stream message each for history nobody reads
    /// at that resolution (the index and the ride still get every position).
    /// </summary>
    public TimeSpan PositionHistoryInterval { get; set; } = TimeSpan.FromSeconds(1);
}
