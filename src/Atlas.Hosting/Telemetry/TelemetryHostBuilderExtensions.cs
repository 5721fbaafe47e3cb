using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Atlas.Hosting.Telemetry;

/// <summary>
/// The OpenTelemetry wiring every Atlas process shares (the API and the silo hosts), so that they report the same
/// metrics and spans under the same names.
/// </summary>
public static class TelemetryHostBuilderExtensions
{
    /// <summary>
    /// Metrics from the .NET runtime, Orleans (<c>Microsoft.Orleans</c>), Npgsql, outgoing HTTP and Atlas' own meters
    /// (<see cref="AtlasTelemetry.AtlasMeters"/>); spans, when <see cref="TelemetryOptions.Tracing"/> says so, from Orleans'
    /// grain calls and storage, Npgsql, Redis (a registered <c>IConnectionMultiplexer</c>) and outgoing HTTP. With
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, all of it (and the logs) is exported over OTLP, configured by the standard
    /// <c>OTEL_*</c> variables. Exporters run in the background: a collector that is down or slow costs dropped data,
    /// never a failed request.
    /// </summary>
    /// <param name="builder">The host.</param>
    /// <param name="serviceName">The <c>service.name</c> resource attribute (<c>OTEL_SERVICE_NAME</c> wins when set).</param>
    /// <param name="metrics">What the host adds to the metrics (its own instrumentation, exporters).</param>
    /// <param name="tracing">What the host adds to the tracing, when spans are recorded.</param>
    public static IOpenTelemetryBuilder AddAtlasTelemetry(this IHostApplicationBuilder builder, string serviceName,
        Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? tracing = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var exportsOtlp = !string.IsNullOrWhiteSpace(configuration[AtlasTelemetry.OtlpEndpointSetting]);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrWhiteSpace(configuration[AtlasTelemetry.ServiceNameSetting]))
                {
                    resource.AddService(serviceName, serviceVersion: ServiceVersion(), serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId);
                }
            })
            .WithMetrics(meters =>
            {
                meters.AddRuntimeInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddMeter(AtlasTelemetry.OrleansMeter)
                    .AddMeter([.. AtlasTelemetry.AtlasMeters]);
                // The hosting builder defers to the container, which knows this host's meter factory.
                ((IDeferredMeterProviderBuilder)meters).Configure((services, provider) => provider.AddView(OtherHostsDropped(services.GetService<IMeterFactory>())));
                metrics?.Invoke(meters);
            });

        if (options.Tracing ?? exportsOtlp)
        {
            telemetry.WithTracing(spans =>
            {
                spans.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                    .AddSource(AtlasTelemetry.OrleansApplicationSource, AtlasTelemetry.OrleansStorageSource)
                    .AddNpgsql()
                    // The commands of an IConnectionMultiplexer registered in the container. Atlas' hosts register none yet
                    // (the geo index store and the Redis stream provider open their own), and commands sent as a batch are
                    // not reported by StackExchange.Redis' profiler (StackExchange.Redis#2175).
                    .AddRedisInstrumentation(redis =>
                    {
                        // Commands of a traced operation only: the stream consumers poll Redis all the time, each poll a trace.
                        redis.Filter = command => command.ParentActivity is not null;
                        // Commands become spans when their profiling session is polled: within a second, not the default ten.
                        redis.FlushInterval = TimeSpan.FromSeconds(1);
                    })
                    .AddHttpClientInstrumentation();
                if (options.OrleansRuntimeTraces)
                {
                    spans.AddSource([.. AtlasTelemetry.OrleansRuntimeSources]);
                }
                tracing?.Invoke(spans);
            });
        }

        if (exportsOtlp)
        {
            telemetry.UseOtlpExporter();
        }
        return telemetry;
    }

    /// <summary>
    /// Meters made by a host's <see cref="IMeterFactory"/> (ASP.NET Core's, Orleans') are that host's: another host in the
    /// same process (tests, benchmarks) has meters of the same names, which this provider must neither report nor be
    /// stopped by when that host is disposed (OpenTelemetry ends a metric when any meter of its name is disposed).
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OtherHostsDropped(IMeterFactory? own) => instrument =>
        instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own) ? MetricStreamConfiguration.Drop : null;

    /// <summary>Atlas' build version (every Atlas assembly of a build carries the same).</summary>
    private static string? ServiceVersion() =>
        typeof(TelemetryHostBuilderExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
}

/// <summary>Refuses to start with an impossible sampling ratio, naming the setting.</summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
