using System.Diagnostics.Metrics;

namespace Atlas.Grains.Geo.Index;

/// <summary>Geo index instruments (meter <c>Atlas.GeoIndex</c>): positions taken, batches written behind to the store, failures.</summary>
public static class GeoIndexMetrics
{
    public const string MeterName = "Atlas.GeoIndex";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Updates = Meter.CreateCounter<long>(
        "atlas.geo_index.updates", "{position}", "Driver positions and removals a shard applied in memory.");

    /// <summary>Changes per store write: a shard writes behind in batches, at most one at a time.</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "atlas.geo_index.write.batch_size", "{change}", "Changes written to the geo index store per batch.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 100, 1000, 10000] });

    public static readonly Counter<long> WriteFailures = Meter.CreateCounter<long>(
        "atlas.geo_index.write.failures", "{batch}", "Batches the store refused or did not answer; they are written again at a later flush.");
}
