using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using Atlas.Grains.Streams;

namespace Atlas.Hosting.Telemetry;

/// <summary>The meters and activity sources an Atlas process reports, by name.</summary>
public static class AtlasTelemetry
{
    /// <summary>Orleans' meter: grain calls, activations, messaging, storage and reminder latencies.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Spans of grain calls (with <c>AddActivityPropagation</c>, children of the caller's span across silos).</summary>
    public const string OrleansApplicationSource = "Microsoft.Orleans.Application";

    /// <summary>Spans of grain state reads, writes and clears.</summary>
    public const string OrleansStorageSource = "Microsoft.Orleans.Storage";

    /// <summary>Spans of the silo's own calls (system targets) and its lifecycle.</summary>
    public static IReadOnlyList<string> OrleansRuntimeSources { get; } = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Lifecycle"];

    /// <summary>Npgsql's meter and activity source.</summary>
    public const string Npgsql = "Npgsql";

    /// <summary>Atlas' own meters: rides, dispatch, wallets, the geo index and the platform's streams.</summary>
    public static IReadOnlyList<string> AtlasMeters { get; } =
        [RideMetrics.MeterName, DispatchMetrics.MeterName, WalletMetrics.MeterName, GeoIndexMetrics.MeterName, StreamMetrics.MeterName];

    /// <summary>The standard variable (or configuration key) whose presence turns OTLP export on.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The standard variable that names the service; when set it wins over the name a host passes.</summary>
    public const string ServiceNameSetting = "OTEL_SERVICE_NAME";
}
