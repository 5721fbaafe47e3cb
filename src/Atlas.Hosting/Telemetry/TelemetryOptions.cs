namespace Atlas.Hosting.Telemetry;

/// <summary>
/// What an Atlas process records for OpenTelemetry (section <c>Telemetry</c>). Where it goes is OpenTelemetry's own
/// configuration: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (and the other <c>OTEL_*</c> variables) turns OTLP export on.
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>
    /// Whether spans are recorded. Unset (default): only when an OTLP endpoint is configured, since nothing else would
    /// receive them and recording every request's spans costs throughput.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>
    /// The share of traces started here that are recorded (default 1: all). A request that arrives with a
    /// <c>traceparent</c> follows its caller's decision.
    /// </summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>Spans for the silo's own runtime calls (membership probes, directory, reminders service; default false: noise).</summary>
    public bool OrleansRuntimeTraces { get; set; }

    internal IEnumerable<string> Validate()
    {
        if (double.IsNaN(TraceSampleRatio) || TraceSampleRatio is < 0 or > 1)
        {
            yield return $"Telemetry:TraceSampleRatio must be between 0 and 1 (it is {TraceSampleRatio}).";
        }
    }
}
