namespace Atlas.Grains.Geo.Index;

/// <summary>How the driver index is sharded and kept.</summary>
public sealed class GeoIndexOptions
{
    public const string SectionName = "GeoIndex";

    /// <summary>The side of an index cell in degrees (default 0.05°, about 5.5 km north–south). One value per deployment.</summary>
    public double CellSizeDegrees { get; set; } = GeoCell.DefaultSizeDegrees;

    /// <summary>How often an index shard writes its changes to the store (default 100 ms).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Entries not refreshed for this long are dropped from the index (default 2 min).</summary>
    public TimeSpan EntryTimeToLive { get; set; } = TimeSpan.FromMinutes(2);
}
