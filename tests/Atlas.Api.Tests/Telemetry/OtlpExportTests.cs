using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Atlas.Api.Tests.Telemetry;

/// <summary>The API exporting over OTLP/HTTP to <see cref="Receiver"/>, configured only by the standard <c>OTEL_*</c> settings.</summary>
public sealed class OtlpApiFactory(OtlpReceiver receiver) : ApiFactory
{
    public OtlpReceiver Receiver => receiver;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint.ToString()),
        new("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        new("OTEL_BSP_SCHEDULE_DELAY", "100"),
        new("OTEL_METRIC_EXPORT_INTERVAL", "200"),
        new("OTEL_EXPORTER_OTLP_TIMEOUT", "60000"),
    ];
}

public sealed class OtlpExportTests
{
    [Fact]
    public async Task With_an_otlp_endpoint_set_the_api_exports_its_spans_and_metrics_there()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var api = new OtlpApiFactory(receiver);

        var wallet = await api.Rider(Scenario.NewId("rider")).GetOkAsync("/wallet");

        Assert.NotNull(wallet);
        var traces = await Scenario.EventuallyAsync(() => Task.FromResult(
            receiver.Posts.FirstOrDefault(p => p.Signal == "traces" && p.Mentions("GET /wallet"))), "the request's span at the collector");
        Assert.Equal("application/x-protobuf", traces.ContentType);
        Assert.True(traces.Mentions("atlas-api"), "the spans name the service");
        // Spans leave in batches: the grain call's may travel in another export than the request's.
        await Scenario.EventuallyAsync(() => Task.FromResult(
            receiver.Posts.FirstOrDefault(p => p.Signal == "traces" && p.Mentions("IWalletGrain/GetBalance"))), "the grain call's span at the collector");
        await Scenario.EventuallyAsync(() => Task.FromResult(
            receiver.Posts.FirstOrDefault(p => p.Signal == "metrics" && p.Mentions("http.server.request.duration") && p.Mentions("orleans-app-requests-latency"))),
            "HTTP and Orleans metrics at the collector");
    }

    [Fact]
    public async Task Without_an_otlp_endpoint_no_spans_are_recorded_at_all()
    {
        await using var api = new ApiFactory();

        await api.Rider(Scenario.NewId("rider")).GetOkAsync("/wallet");

        Assert.Null(api.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task A_collector_that_hangs_fails_no_request_and_slows_none()
    {
        await using var receiver = await OtlpReceiver.StartAsync(stall: true);
        await using var api = new OtlpApiFactory(receiver);
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync();
        await Scenario.EventuallyAsync(() => Task.FromResult(receiver.Posts.FirstOrDefault()), "an export stuck at the collector");

        // The exporters now wait on the collector (for up to a minute): requests go on as before.
        var started = DateTime.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            var pickup = Scenario.RandomSpot();
            using var response = await rider.PostAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, Scenario.Offset(pickup, 1000, 0)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "requests waited on the stalled exporter");
        await receiver.ReleaseAsync();
    }
}
