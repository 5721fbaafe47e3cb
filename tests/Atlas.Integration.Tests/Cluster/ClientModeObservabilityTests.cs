using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Atlas.Integration.Tests.Infrastructure;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>A silo process and the API in client mode, both exporting over OTLP to one collector.</summary>
public sealed class ObservedCluster : IAsyncLifetime
{
    public OtlpListener Collector { get; } = OtlpListener.Start();

    public ProcessCluster Cluster { get; private set; } = null!;

    public ApiProcess Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await ProcessCluster.StartAsync(1, Collector.Settings);
        Api = await ApiProcess.StartAsync(Cluster.ClusterId, Collector.Settings);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Cluster.DisposeAsync();
        await Collector.DisposeAsync();
    }
}

/// <summary>Telemetry and the dashboard when the grains run in silo processes and the API is their client.</summary>
[Collection(ProcessCollection.Name)]
public sealed class ClientModeObservabilityTests(ObservedCluster observed) : IClassFixture<ObservedCluster>
{
    [Fact]
    public async Task A_request_is_one_trace_across_the_api_and_the_silo_and_both_export_it_over_otlp()
    {
        var rider = await observed.Api.ClientAsync($"rider-{Guid.NewGuid():N}", "rider");
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/wallet");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await rider.SendAsync(request);

        response.EnsureSuccessStatusCode();
        var id = new byte[16];
        traceId.CopyTo(id);
        // The API's request span and the silo's grain-call span carry the caller's trace id, each exported by its process.
        await UntilAsync(() => observed.Collector.Exports.Any(e => e.Signal == "traces" && e.Mentions("atlas-api") && e.Contains(id) && e.Mentions("GET /wallet")),
            "the API's spans of the request");
        await UntilAsync(() => observed.Collector.Exports.Any(e => e.Signal == "traces" && e.Mentions("atlas-silo") && e.Contains(id) && e.Mentions("IWalletGrain/GetBalance")),
            "the silo's span of the grain call, in the same trace");
        await UntilAsync(() => observed.Collector.Exports.Any(e => e.Signal == "metrics" && e.Mentions("atlas-silo") && e.Mentions("orleans-app-requests-latency")),
            "the silo's Orleans metrics");
    }

    [Fact]
    public async Task The_apis_dashboard_shows_the_silo_processes_to_an_admin()
    {
        var admin = await observed.Api.ClientAsync("dashboard-admin", "admin");

        JsonObject counters = null!;
        await UntilAsync(async () => (int)(counters = (await admin.GetFromJsonAsync<JsonObject>("/admin/orleans/DashboardCounters"))!)["totalActiveHostCount"]! > 0,
            "the dashboard's counters of the cluster");

        Assert.Equal(1, (int)counters["totalActiveHostCount"]!);
        var rider = await observed.Api.ClientAsync($"rider-{Guid.NewGuid():N}", "rider");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await rider.GetAsync("/admin/orleans/DashboardCounters")).StatusCode);
    }

    private static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting for {what}");
            await Task.Delay(100);
        }
    }
}
