namespace Atlas.Api.Operations;

/// <summary>What <c>/metrics</c> exports (section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>Meters whose instruments are exported (default: <c>Atlas.Api</c>, <c>Atlas.Actors</c>, <c>Atlas.Rides</c>).</summary>
    public string[] Meters { get; set; } = [HttpMetrics.MeterName, "Atlas.Actors", Grains.Rides.RideMetrics.MeterName];
}
