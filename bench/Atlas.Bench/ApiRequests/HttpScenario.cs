using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Atlas.Api.Auth;
using Atlas.Bench.Harness;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Bench.ApiRequests;

/// <summary>
/// <c>POST /driver/location</c> through the whole Atlas stack (<see cref="AtlasApiServer"/>: Kestrel on loopback, a
/// real JWT, rate limiting, validation, the driver grain of the embedded silo, the geo index) against a bare Kestrel
/// endpoint that deserializes the same body (<see cref="BareKestrelServer"/>), with the same closed-loop load
/// (<see cref="LoadGenerator"/>, one keep-alive connection per caller) in the same run. Every request is for a different
/// driver than the ones before it (many drivers, each with its own token and increasing timestamps), so the rate limit
/// per driver is the production default and never the bottleneck.
/// </summary>
public sealed class HttpScenario : IScenario
{
    internal const int Connections = 64;
    // 16,384 drivers (quick: 8,192): at 16 k requests/s each sends about once (quick: twice) a second, within the
    // production rate limit of 20 updates per 10 s per driver. Each driver's first update registers it (two SQLite commits),
    // which is most of the set-up time, hence fewer drivers in quick mode.
    internal const int DriversPerConnection = 256;
    internal const int QuickDriversPerConnection = 128;
    private const double TargetRatio = 0.5;
    private const double TargetP99Ms = 10;

    public string Name => "http";

    public string Description =>
        $"POST /driver/location through the whole API (JWT, rate limits, validation, driver grain, geo index) vs a bare Kestrel endpoint reading the same body, {Connections} keep-alive connections";

    // Atlas.Api is an ASP.NET Core app: server GC, as it runs in production.
    public bool ServerGc => true;

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 2, full: 4);
        var warmUp = settings.Period(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        var window = settings.Period(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8));
        var ramp = settings.Period(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.5));
        var perConnection = settings.Quick ? QuickDriversPerConnection : DriversPerConnection;
        var drivers = Connections * perConnection;
        var positions = DriverPositions(drivers);
        log.Progress($"{Connections} connections, {drivers} drivers, {rounds} rounds of {window.TotalSeconds:0.#} s per server");

        await using var bare = await BareKestrelServer.StartAsync();
        await using var api = AtlasApiServer.Start();
        var tokens = api.Services.GetRequiredService<TokenService>();
        var authorizations = Enumerable.Range(0, drivers).Select(i => "Bearer " + tokens.Issue(DriverId(i), Roles.Driver).AccessToken).ToArray();
        RequestWriter bareRequest = (caller, sequence, buffer) => LocationRequest(caller, sequence, perConnection, positions, authorizations: null, bare.Endpoint, buffer);
        RequestWriter atlasRequest = (caller, sequence, buffer) => LocationRequest(caller, sequence, perConnection, positions, authorizations, api.Endpoint, buffer);
        log.Progress($"servers started, {drivers} tokens issued");

        // Each driver's first update registers it: done before the clock runs, as in a platform that is up.
        var failed = await HttpCallers.SendOnceEachAsync(api.Endpoint, Connections, drivers, i =>
        {
            var buffer = new byte[8192];
            return buffer[..Request(i, positions[i], authorizations[i], api.Endpoint, 0, buffer)];
        });
        log.Progress($"registered {drivers} drivers ({failed} failed); warm-up {warmUp.TotalSeconds:0.#} s each");
        var warmUpSpec = new LoadSpec(Connections, warmUp, TimeSpan.Zero, RecordLatency: false);
        await WarmUpAsync(bare.Endpoint, bareRequest, warmUpSpec);
        await WarmUpAsync(api.Endpoint, atlasRequest, warmUpSpec);

        var spec = new LoadSpec(Connections, window, ramp, MeasureAllocations: true, LatencySampleEvery: 1);
        var results = await Rounds.AlternateAsync(rounds, log, "http",
            ("atlas   ", () => MeasureAsync(api.Endpoint, atlasRequest, spec)),
            ("baseline", () => MeasureAsync(bare.Endpoint, bareRequest, spec)));
        if (settings.ProfileAllocations)
        {
            // One more Atlas window, sampled, after the measured ones (the profiler must not distort them).
            using var profiler = new AllocationProfiler();
            var profiled = await MeasureAsync(api.Endpoint, atlasRequest, spec with { RecordLatency = false });
            profiler.Report(log, "atlas allocations per request", profiled.Load.AllocatedBytesPerCall ?? 0, top: 20);
        }
        var atlas = HttpWindow.Pool(results[0]);
        var baseline = HttpWindow.Pool(results[1]);
        log.Progress($"atlas    over all rounds: {atlas}");
        log.Progress($"baseline over all rounds: {baseline}");

        var ratio = atlas.RequestsPerSecond / baseline.RequestsPerSecond;
        report.Atlas.Add("how", "Atlas.Api's Program on Kestrel (WebApplicationFactory), production settings, a bearer token per driver");
        Figures(report.Atlas, atlas, results[0]);
        report.Baseline.Add("how", "WebApplication.CreateSlimBuilder, one MapPost deserializing the same JSON body (snake_case) and answering {\"success\":true}");
        Figures(report.Baseline, baseline, results[1]);
        report.BaselineDescription = "a bare Kestrel endpoint reading the same body, same connections and load generator, same process";
        report.Ratio = ratio;
        report.RatioDefinition = "atlas successful requests/s ÷ baseline successful requests/s, each over all its rounds (rounds alternate which server goes first)";
        report.AddMinimumTarget("throughput_ratio", ratio, TargetRatio);
        report.AddBelowTarget("atlas_p99_ms", atlas.Load.Latency!.P99Micros / 1000, TargetP99Ms, "ms");
        report.AddMaximumTarget("atlas_errors", atlas.Failures, 0);
        report.Details["connections"] = Connections;
        report.Details["drivers"] = drivers;
        report.Details["rate_limit_ceiling_rps"] = drivers * 2; // 20 updates per 10 s per driver
        report.Details["rounds"] = rounds;
        report.Details["measure_s"] = window.TotalSeconds * rounds;
        report.Details["figures"] = "rps over all rounds; p50/p99 over every request of all rounds (log-linear histogram, ±3 %); cpu_us_per_request is this process's CPU (server and load generator) per request; allocated bytes and GC pauses are process-wide";
    }

    internal static async Task WarmUpAsync(IPEndPoint endpoint, RequestWriter request, LoadSpec spec)
    {
        using var callers = await HttpCallers.ConnectAsync(endpoint, Connections, request);
        await LoadGenerator.RunAsync(spec, callers.SendAsync);
    }

    /// <summary>One window of load on one server, with what the process spent on it.</summary>
    internal static async Task<HttpWindow> MeasureAsync(IPEndPoint endpoint, RequestWriter request, LoadSpec spec)
    {
        using var callers = await HttpCallers.ConnectAsync(endpoint, Connections, request);
        ProcessMeter? opened = null, closed = null;
        long failuresOpened = 0, failuresClosed = 0;
        var load = await LoadGenerator.RunAsync(
            spec with
            {
                WindowOpened = () => (opened, failuresOpened) = (ProcessMeter.Read(), callers.Failures),
                WindowClosed = () => (closed, failuresClosed) = (ProcessMeter.Read(), callers.Failures),
            },
            callers.SendAsync);
        return new HttpWindow(load, failuresClosed - failuresOpened, [.. callers.FailureSamples], closed! - opened!);
    }

    /// <summary>Caller <paramref name="caller"/> cycles through its own drivers, so one driver's updates never overlap.</summary>
    internal static int LocationRequest(int caller, long sequence, int perConnection, (double Lat, double Long)[] positions, string[]? authorizations, IPEndPoint host, Span<byte> buffer)
    {
        var driver = caller + Connections * (int)(sequence % perConnection);
        return Request(driver, positions[driver], authorizations?[driver], host, sequence, buffer);
    }

    /// <summary>Writes the whole HTTP/1.1 request: the same body for both servers, a bearer token for Atlas.</summary>
    internal static int Request(int driver, (double Lat, double Long) at, string? authorization, IPEndPoint host, long jitter, Span<byte> buffer)
    {
        // A few metres of movement per update, so every update really moves the driver in the index.
        var lat = at.Lat + (jitter % 7) * 0.00001;
        Span<byte> body = stackalloc byte[256];
        var bodyLength = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"user_id":"{{DriverId(driver)}}","latitude":{{lat:R}},"longitude":{{at.Long:R}},"timestamp":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}"""), body);
        var head = string.Create(CultureInfo.InvariantCulture,
            $"POST /driver/location HTTP/1.1\r\nHost: {host}\r\n{(authorization is null ? "" : "Authorization: " + authorization + "\r\n")}Content-Type: application/json\r\nContent-Length: {bodyLength}\r\n\r\n");
        var headLength = Encoding.ASCII.GetBytes(head, buffer);
        body[..bodyLength].CopyTo(buffer[headLength..]);
        return headLength + bodyLength;
    }

    internal static string DriverId(int index) => "bench-driver-" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Drivers spread over a 20 km square around Paris, reproducibly.</summary>
    internal static (double Lat, double Long)[] DriverPositions(int count)
    {
        var random = new Random(42);
        return Enumerable.Range(0, count).Select(_ => (48.76 + random.NextDouble() * 0.18, 2.22 + random.NextDouble() * 0.27)).ToArray();
    }

    private static void Figures(JsonObject side, HttpWindow pooled, HttpWindow[] rounds)
    {
        side["rps"] = BenchReport.Figure(pooled.RequestsPerSecond);
        side["p50_ms"] = BenchReport.Figure(pooled.Load.Latency!.P50Micros / 1000);
        side["p99_ms"] = BenchReport.Figure(pooled.Load.Latency.P99Micros / 1000);
        side["requests"] = pooled.Succeeded;
        side["errors"] = pooled.Failures;
        side["cpu_us_per_request"] = BenchReport.Figure(pooled.CpuMicrosecondsPerRequest);
        side["gc_pause_ms"] = BenchReport.Figure(pooled.Spent.GcPause.TotalMilliseconds);
        side["gen2_collections"] = pooled.Spent.Gen2Collections;
        side["allocated_bytes_per_request"] = BenchReport.Figure(pooled.Load.AllocatedBytesPerCall ?? double.NaN);
        side["rps_rounds"] = new JsonArray([.. rounds.Select(r => BenchReport.Figure(r.RequestsPerSecond))]);
    }
}

/// <summary>
/// One measured window of http load: the load's figures, the requests that failed in it, and what this process spent
/// meanwhile (<see cref="ProcessMeter"/>): diagnostics that the machine's other load distorts less than throughput.
/// </summary>
internal sealed record HttpWindow(LoadResult Load, long Failures, string[] FailureSamples, ProcessMeter Spent)
{
    public long Succeeded => Load.Calls - Failures;

    public double RequestsPerSecond => Succeeded / Load.Elapsed.TotalSeconds;

    public double CpuMicrosecondsPerRequest => Succeeded == 0 ? double.NaN : Spent.Cpu.TotalMicroseconds / Succeeded;

    /// <summary>Several windows as one: all their requests over all their time.</summary>
    public static HttpWindow Pool(IReadOnlyList<HttpWindow> windows) => new(
        LoadResult.Pool([.. windows.Select(w => w.Load)]),
        windows.Sum(w => w.Failures),
        [.. windows.SelectMany(w => w.FailureSamples).Take(5)],
        windows.Select(w => w.Spent).Aggregate((a, b) => a + b));

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{RequestsPerSecond,8:0} req/s, p50 {Load.Latency?.P50Micros / 1000:0.000} ms, p99 {Load.Latency?.P99Micros / 1000:0.000} ms, {CpuMicrosecondsPerRequest:0} µs CPU/req, {Load.AllocatedBytesPerCall:0} B/req, GC paused {Spent.GcPause.TotalMilliseconds:0} ms ({Spent.Gen2Collections} gen2), {Failures} errors") +
        (FailureSamples.Length > 0 ? " (" + string.Join("; ", FailureSamples) + ")" : "");
}

/// <summary>This process's CPU time, GC pause time and gen2 collections: read at both ends of a window, subtracted.</summary>
internal sealed record ProcessMeter(TimeSpan Cpu, TimeSpan GcPause, int Gen2Collections)
{
    public static ProcessMeter Read() => new(Environment.CpuUsage.TotalTime, GC.GetTotalPauseDuration(), GC.CollectionCount(2));

    public static ProcessMeter operator -(ProcessMeter after, ProcessMeter before) =>
        new(after.Cpu - before.Cpu, after.GcPause - before.GcPause, after.Gen2Collections - before.Gen2Collections);

    public static ProcessMeter operator +(ProcessMeter a, ProcessMeter b) =>
        new(a.Cpu + b.Cpu, a.GcPause + b.GcPause, a.Gen2Collections + b.Gen2Collections);
}
