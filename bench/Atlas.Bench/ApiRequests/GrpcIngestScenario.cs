using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Atlas.Api.Auth;
using Atlas.Api.Positions.Grpc;
using Atlas.Bench.Harness;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Bench.ApiRequests;

/// <summary>
/// Driver positions through the whole Atlas stack over gRPC (<c>DriverPositions.StreamPositions</c>: one bidirectional
/// call per driver, a real JWT on each call, every position checked as <c>POST /driver/location</c> checks it and sent to
/// the driver grain of the embedded silo, acknowledged in batches) against <c>POST /driver/location</c> on the same
/// server (<see cref="AtlasApiServer"/>), with <see cref="HttpScenario"/>'s load, in the same run, rounds alternating.
/// </summary>
public sealed class GrpcIngestScenario : IScenario
{
    /// <summary>HTTP/2 connections (one <see cref="GrpcChannel"/> each) and the calls, one per driver, on each.</summary>
    private const int Channels = 4;
    private const int StreamsPerChannel = 64;
    /// <summary>Positions a call sends ahead of their acknowledgements: two of the server's batches (Atlas:Grpc:AckEvery, 64).</summary>
    private const int InFlightPerStream = 128;
    private const double TargetRatio = 2;

    public string Name => "ingest-grpc";

    public string Description =>
        $"driver positions over gRPC streams ({Channels * StreamsPerChannel} drivers, one call each, batched acknowledgements) vs POST /driver/location ({HttpScenario.Connections} keep-alive connections), same Atlas.Api server";

    public bool ServerGc => true;

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 2, full: 4);
        var warmUp = settings.Period(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        var window = settings.Period(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8));
        var ramp = settings.Period(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(0.5));
        var perConnection = settings.Quick ? HttpScenario.QuickDriversPerConnection : HttpScenario.DriversPerConnection;
        var httpDrivers = HttpScenario.Connections * perConnection;
        var streams = Channels * StreamsPerChannel;
        var positions = HttpScenario.DriverPositions(httpDrivers + streams);
        log.Progress($"http: {HttpScenario.Connections} connections, {httpDrivers} drivers; grpc: {Channels} connections, {streams} calls; {rounds} rounds of {window.TotalSeconds:0.#} s per side");

        await using var api = AtlasApiServer.Start();
        var tokens = api.Services.GetRequiredService<TokenService>();
        var authorizations = Enumerable.Range(0, httpDrivers + streams).Select(i => "Bearer " + tokens.Issue(HttpScenario.DriverId(i), Roles.Driver).AccessToken).ToArray();
        RequestWriter httpRequest = (caller, sequence, buffer) => HttpScenario.LocationRequest(caller, sequence, perConnection, positions, authorizations, api.Endpoint, buffer);

        // Every driver's first update registers it (two SQLite commits): done before the clock runs, for both sides.
        var failed = await HttpCallers.SendOnceEachAsync(api.Endpoint, HttpScenario.Connections, httpDrivers + streams, i =>
        {
            var buffer = new byte[8192];
            return buffer[..HttpScenario.Request(i, positions[i], authorizations[i], api.Endpoint, 0, buffer)];
        });
        log.Progress($"registered {httpDrivers + streams} drivers ({failed} failed); warm-up {warmUp.TotalSeconds:0.#} s each");

        var channels = Enumerable.Range(0, Channels).Select(_ => GrpcChannel.ForAddress($"http://{api.GrpcEndpoint}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        })).ToArray();
        try
        {
            var grpcDrivers = Enumerable.Range(httpDrivers, streams).ToArray();
            Task<GrpcWindow> Grpc(TimeSpan duration) => MeasureGrpcAsync(channels, grpcDrivers, positions, authorizations, ramp, duration);
            await HttpScenario.WarmUpAsync(api.Endpoint, httpRequest, new LoadSpec(HttpScenario.Connections, warmUp, TimeSpan.Zero, RecordLatency: false));
            await Grpc(warmUp);

            var spec = new LoadSpec(HttpScenario.Connections, window, ramp, LatencySampleEvery: 1);
            var results = await Rounds.AlternateAsync<object>(rounds, log, "ingest-grpc",
                ("grpc", async () => await Grpc(window)),
                ("http", async () => await HttpScenario.MeasureAsync(api.Endpoint, httpRequest, spec)));
            var grpc = GrpcWindow.Pool([.. results[0].Cast<GrpcWindow>()]);
            var http = HttpWindow.Pool([.. results[1].Cast<HttpWindow>()]);
            log.Progress($"grpc over all rounds: {grpc}");
            log.Progress($"http over all rounds: {http}");

            var ratio = grpc.PositionsPerSecond / http.RequestsPerSecond;
            report.Atlas.Add("how", $"DriverPositions.StreamPositions on Atlas.Api's h2c port: {streams} bidirectional calls over {Channels} HTTP/2 connections, a bearer token per call, up to {InFlightPerStream} positions ahead of the acknowledgements");
            report.Atlas["positions_per_s"] = BenchReport.Figure(grpc.PositionsPerSecond);
            report.Atlas["positions"] = grpc.Positions;
            report.Atlas["errors"] = grpc.Failures;
            report.Atlas["cpu_us_per_position"] = BenchReport.Figure(grpc.CpuMicrosecondsPerPosition);
            report.Atlas["gc_pause_ms"] = BenchReport.Figure(grpc.Spent.GcPause.TotalMilliseconds);
            report.Atlas["positions_per_s_rounds"] = new JsonArray([.. results[0].Cast<GrpcWindow>().Select(r => BenchReport.Figure(r.PositionsPerSecond))]);
            report.Baseline.Add("how", $"POST /driver/location on the same server: {HttpScenario.Connections} keep-alive HTTP/1.1 connections, {httpDrivers} drivers, a bearer token per request (the http scenario's load)");
            report.Baseline["rps"] = BenchReport.Figure(http.RequestsPerSecond);
            report.Baseline["requests"] = http.Succeeded;
            report.Baseline["errors"] = http.Failures;
            report.Baseline["cpu_us_per_request"] = BenchReport.Figure(http.CpuMicrosecondsPerRequest);
            report.Baseline["p99_ms"] = BenchReport.Figure(http.Load.Latency!.P99Micros / 1000);
            report.Baseline["rps_rounds"] = new JsonArray([.. results[1].Cast<HttpWindow>().Select(r => BenchReport.Figure(r.RequestsPerSecond))]);
            report.BaselineDescription = "POST /driver/location through the same Atlas.Api server (Kestrel, JWT, rate limits, validation, driver grain, geo index), same process";
            report.Ratio = ratio;
            report.RatioDefinition = "gRPC positions acknowledged/s ÷ POST /driver/location successful requests/s, each over all its rounds (rounds alternate which side goes first)";
            report.AddMinimumTarget("throughput_ratio", ratio, TargetRatio);
            report.AddMaximumTarget("grpc_errors", grpc.Failures, 0);
            report.Details["cpu_per_position_ratio"] = BenchReport.Figure(grpc.CpuMicrosecondsPerPosition / http.CpuMicrosecondsPerRequest);
            report.Details["grpc_calls"] = streams;
            report.Details["http_connections"] = HttpScenario.Connections;
            report.Details["rounds"] = rounds;
            report.Details["measure_s"] = window.TotalSeconds * rounds;
            report.Details["figures"] = "throughput over all rounds; cpu_us_per_* is this process's CPU (server and load generators) per position or request; a position counts when the server acknowledged it";
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>
    /// One window: every driver opens its call and sends positions (a few metres apart, stamped now) as fast as its
    /// acknowledgements allow; positions acknowledged between the window's ends are counted.
    /// </summary>
    private static async Task<GrpcWindow> MeasureGrpcAsync(GrpcChannel[] channels, int[] drivers, (double Lat, double Long)[] positions, string[] authorizations,
        TimeSpan ramp, TimeSpan window)
    {
        var acknowledged = new long[drivers.Length];
        long failures = 0;
        using var stop = new CancellationTokenSource();
        var calls = drivers.Select((driver, i) => Task.Run(async () =>
        {
            var client = new DriverPositions.DriverPositionsClient(channels[i % channels.Length]);
            using var call = client.StreamPositions(new Metadata { { "Authorization", authorizations[driver] } });
            using var credit = new SemaphoreSlim(InFlightPerStream);
            var reader = Task.Run(async () =>
            {
                long seen = 0;
                await foreach (var ack in call.ResponseStream.ReadAllAsync())
                {
                    credit.Release((int)(ack.Acknowledged - seen));
                    seen = ack.Acknowledged;
                    Volatile.Write(ref acknowledged[i], seen);
                }
            });
            try
            {
                var (lat, lon) = positions[driver];
                for (long n = 0; !stop.IsCancellationRequested; n++)
                {
                    await credit.WaitAsync(stop.Token);
                    await call.RequestStream.WriteAsync(new Position
                    {
                        Latitude = lat + (n % 7) * 0.00001,
                        Longitude = lon,
                        Timestamp = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                    });
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref failures);
            }
            try
            {
                await call.RequestStream.CompleteAsync();
                await reader;
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref failures);
            }
        })).ToArray();

        await Task.Delay(ramp);
        var (startCount, startMeter) = (acknowledged.Sum(), ProcessMeter.Read());
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(window);
        var (endCount, endMeter, elapsed) = (acknowledged.Sum(), ProcessMeter.Read(), started.Elapsed);
        await stop.CancelAsync();
        await Task.WhenAll(calls);
        return new GrpcWindow(endCount - startCount, elapsed, Interlocked.Read(ref failures), endMeter - startMeter);
    }
}

/// <summary>One measured window of gRPC positions and what this process spent meanwhile.</summary>
internal sealed record GrpcWindow(long Positions, TimeSpan Elapsed, long Failures, ProcessMeter Spent)
{
    public double PositionsPerSecond => Positions / Elapsed.TotalSeconds;

    public double CpuMicrosecondsPerPosition => Positions == 0 ? double.NaN : Spent.Cpu.TotalMicroseconds / Positions;

    public static GrpcWindow Pool(IReadOnlyList<GrpcWindow> windows) => new(
        windows.Sum(w => w.Positions),
        TimeSpan.FromTicks(windows.Sum(w => w.Elapsed.Ticks)),
        windows.Sum(w => w.Failures),
        windows.Select(w => w.Spent).Aggregate((a, b) => a + b));

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{PositionsPerSecond,8:0} positions/s, {CpuMicrosecondsPerPosition:0.0} µs CPU/position, GC paused {Spent.GcPause.TotalMilliseconds:0} ms, {Failures} errors");
}
