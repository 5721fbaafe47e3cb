namespace Atlas.Api.Operations;

/// <summary>What <c>/metrics</c> exports (section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>Orleans' own meter: grain calls, activations, messaging, storage and reminder latencies of the silo.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Meters whose instruments are exported (default: <c>Atlas.Api</c>, <c>Microsoft.Orleans</c>, <c>Atlas.Rides</c>).</summary>
    public string[] Meters { get; set; } = [HttpMetrics.MeterName, OrleansMeterName, Grains.Rides.RideMetrics.MeterName];
}
