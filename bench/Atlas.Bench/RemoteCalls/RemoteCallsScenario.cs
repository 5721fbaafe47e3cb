using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Atlas.Bench.Baselines;
using Atlas.Bench.Children;
using Atlas.Bench.Harness;
using Atlas.Bench.Silos;
using Atlas.Hosting.Clients;
using Atlas.Hosting.Clustering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// Remote grain calls: this process is an Orleans cluster client (<c>UseAtlasRedisClustering</c>, <c>AddAtlasClient</c>)
/// calling <see cref="IRemoteBenchGrain.Echo"/> on 10,000 grains spread over two Orleans silo child processes
/// (<see cref="RemoteSiloChild"/>: TCP on loopback, Redis membership, memory storage), 1,000 concurrent callers; against
/// a raw TCP request/response echo (two <see cref="EchoServer"/> child processes, one connection to each, frames as
/// long on the wire as Orleans's, no runtime) in the same run.
/// </summary>
public sealed class RemoteCallsScenario : IScenario
{
    private const int GrainCount = 10_000;
    private const int ConcurrentCallers = 1_000;
    private const int ServerCount = 2;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Throughput ratio of the plain grain to the raw TCP echo: Orleans spends ~15 µs of CPU per remote call (client +
    /// silos) where the echo spends ~1.5 µs, so ~0.07 is what it reaches here; the target keeps regressions visible (see the README).
    /// </summary>
    private const double ThroughputRatioTarget = 0.05;

    /// <summary>The same for the grain that is never forwarded between silos (<see cref="ILocalEchoGrain"/>).</summary>
    private const double LocalThroughputRatioTarget = 0.07;

    public string Name => "remote-calls";

    public string Description =>
        $"a client calling grains on {ServerCount} silo processes over loopback TCP, {ConcurrentCallers:N0} concurrent callers over {GrainCount:N0} grains (plain, [PreferLocalPlacement], [StatelessWorker]), vs a raw TCP echo with frames as long";

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 5, full: 9);
        var window = settings.Period(TimeSpan.FromSeconds(0.6), TimeSpan.FromSeconds(3));
        var ramp = settings.Period(TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.5));
        // The silos start cold: their tiered JIT keeps compiling for the first ten seconds or so (a profile of a quick run
        // showed it at 13 % of the silos' samples), so the warm-up is longer than the rounds' windows.
        var warmUp = settings.Period(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6));
        var allocationWindow = settings.Period(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2));

        var services = await BenchServices.EnsureAsync(log);
        var cluster = $"bench-remote-{Guid.NewGuid():N}"[..24];
        var siloPorts = Enumerable.Range(0, ServerCount).Select(_ => BenchChild.FreePort()).ToArray();
        var echoPorts = Enumerable.Range(0, ServerCount).Select(_ => BenchChild.FreePort()).ToArray();
        log.Progress($"starting {ServerCount} silo processes (ports {string.Join(", ", siloPorts)}, cluster {cluster}, Redis {services.Redis}) " +
                     $"and {ServerCount} echo processes (ports {string.Join(", ", echoPorts)})");

        var silos = new List<BenchChild>();
        var echoes = new List<BenchChild>();
        IHost? client = null;
        var echoClients = new List<EchoClient>();
        try
        {
            var started = Stopwatch.StartNew();
            foreach (var port in siloPorts)
            {
                silos.Add(BenchChild.Start($"silo:{port}", RemoteSiloChild.Command,
                    "--port", Text(port), "--gateway", Text(BenchChild.FreePort()), "--cluster", cluster, "--redis", services.Redis));
            }
            foreach (var port in echoPorts)
            {
                echoes.Add(BenchChild.Start($"echo:{port}", RemoteEchoChild.Command, "--port", Text(port)));
            }
            await Task.WhenAll(silos.Concat(echoes).Select(c => c.WaitUntilReadyAsync(StartTimeout)));
            log.Progress($"children ready in {started.Elapsed.TotalSeconds:0.0} s");

            client = await ConnectClientAsync(cluster, services.Redis);
            var factory = client.Services.GetRequiredService<IClusterClient>();
            var grains = Enumerable.Range(0, GrainCount).Select(k => factory.GetGrain<IRemoteBenchGrain>(k)).ToArray();

            // Activation, and where each grain lives: the baseline sends each key to the same server index.
            var hostPorts = await Task.WhenAll(grains.Select(g => g.SiloPort().AsTask()));
            var serverOf = hostPorts.Select(p => Array.IndexOf(siloPorts, p)).ToArray();
            if (serverOf.Any(s => s < 0))
            {
                throw new InvalidOperationException("A grain answered from a silo the benchmark did not start.");
            }
            var share = Enumerable.Range(0, ServerCount).Select(s => serverOf.Count(x => x == s) / (double)GrainCount).ToArray();
            log.Progress($"activated {GrainCount:N0} grains in {started.Elapsed.TotalSeconds:0.0} s; share per silo {string.Join(" / ", share.Select(s => s.ToString("P1", CultureInfo.InvariantCulture)))}");

            // Orleans's real message sizes for this call, from its own instruments on this client.
            var (requestBytes, responseBytes) = await MeasureMessagesAsync(grains);
            var baselineRequest = Math.Max(EchoFrames.MinimumRequestPayload, (int)Math.Round(requestBytes) + MessageSizeMeter.OrleansLengthPrefix - 4);
            var baselineResponse = Math.Max(EchoFrames.MinimumResponsePayload, (int)Math.Round(responseBytes) + MessageSizeMeter.OrleansLengthPrefix - 4);
            log.Progress(string.Create(CultureInfo.InvariantCulture,
                $"orleans messages (headers + body, after the 8-byte length prefix): request {requestBytes:0.0} B, response {responseBytes:0.0} B (mean over all keys); " +
                $"baseline payloads (after a 4-byte length): {baselineRequest} B / {baselineResponse} B, the same bytes on the wire"));

            foreach (var port in echoPorts)
            {
                echoClients.Add(await EchoClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), baselineRequest, baselineResponse));
            }

            var localGrains = Enumerable.Range(0, GrainCount).Select(k => factory.GetGrain<ILocalEchoGrain>(k)).ToArray();
            var stateless = factory.GetGrain<IStatelessEchoGrain>(0);
            await Task.WhenAll(localGrains.Select((g, k) => g.Echo(k).AsTask()));
            log.Progress($"activated {GrainCount:N0} [PreferLocalPlacement] grains ({started.Elapsed.TotalSeconds:0.0} s since the start)");

            // The Orleans forms, each measured against the same baseline in the same rounds. The first is the headline.
            var systems = new (string Name, string How, CallTarget Target)[]
            {
                ("atlas", "IRemoteBenchGrain.Echo(int): a plain grain, Orleans's default placement", (caller, iteration) =>
                {
                    var key = Pick(caller, iteration);
                    return grains[key].Echo(key).AsTask();
                }),
                ("atlas_prefer_local_placement", "ILocalEchoGrain.Echo(int): [PreferLocalPlacement], hosted by the gateway the client sends it to", (caller, iteration) =>
                {
                    var key = Pick(caller, iteration);
                    return localGrains[key].Echo(key).AsTask();
                }),
                ("atlas_stateless_worker", "IStatelessEchoGrain.Echo(int): one [StatelessWorker] grain (its calls go to any gateway), run by the gateway that receives the call", (caller, iteration) =>
                {
                    var key = Pick(caller, iteration);
                    return stateless.Echo(key).AsTask();
                }),
            };
            CallTarget baseline = (caller, iteration) =>
            {
                var key = Pick(caller, iteration);
                return echoClients[serverOf[key]].CallAsync(key);
            };
            foreach (var target in systems.Select(s => s.Target).Append(baseline))
            {
                await VerifyAsync(target);
            }

            log.Progress($"warm-up {warmUp.TotalSeconds:0.#} s for the first form, {warmUp.TotalSeconds / 2:0.#} s for each other system; {ConcurrentCallers:N0} callers");
            await LoadGenerator.RunAsync(new LoadSpec(ConcurrentCallers, warmUp, ramp, RecordLatency: false), systems[0].Target);
            foreach (var target in systems.Skip(1).Select(s => s.Target).Append(baseline))
            {
                await LoadGenerator.RunAsync(new LoadSpec(ConcurrentCallers, warmUp / 2, ramp, RecordLatency: false), target);
            }

            var results = await Rounds.AlternateAsync(rounds, log, "remote",
                [.. systems.Select(s => (s.Name.PadRight(28), (Func<Task<Measured>>)(() => MeasureAsync(s.Target, silos, window, ramp)))),
                 ("baseline".PadRight(28), () => MeasureAsync(baseline, echoes, window, ramp))]);

            var allocationSpec = new LoadSpec(ConcurrentCallers, allocationWindow, ramp, RecordLatency: false, MeasureAllocations: true);
            var allocations = new Allocation[systems.Length];
            for (var s = 0; s < systems.Length; s++)
            {
                allocations[s] = await MeasureAtlasAllocationAsync(settings.ProfileAllocations && s == 0, log, systems[s].Name, systems[s].Target, grains, serverOf, share, allocationSpec);
            }
            var baselineLoad = await LoadGenerator.RunAsync(allocationSpec, baseline);
            var baselineAllocation = new Allocation(baselineLoad.AllocatedBytesPerCall ?? double.NaN, double.NaN);
            log.Progress(string.Create(CultureInfo.InvariantCulture,
                $"allocation {"baseline",-28}: {baselineLoad.CallsPerSecond,12:N0} calls/s  client {baselineAllocation.ClientBytesPerCall:0.0} B/call"));

            var baselineThroughputs = Throughputs(results[^1]);
            var ratios = Enumerable.Range(0, systems.Length).Select(s => Rounds.MedianRatio(Throughputs(results[s]), baselineThroughputs)).ToArray();
            var ratio = ratios[0];
            log.Progress(string.Create(CultureInfo.InvariantCulture,
                $"throughput ratios to the baseline: {string.Join(", ", systems.Select((s, i) => $"{s.Name} {ratios[i]:0.000}"))}"));

            report.Atlas["concurrent"] = Figures(results[0], allocations[0]);
            report.Atlas["how"] = systems[0].How;
            for (var s = 1; s < systems.Length; s++)
            {
                var figures = Figures(results[s], allocations[s]);
                figures["how"] = systems[s].How;
                report.Atlas[systems[s].Name] = figures;
                report.Ratios[systems[s].Name] = BenchReport.Figure(ratios[s]);
            }
            report.Baseline["concurrent"] = Figures(results[^1], baselineAllocation);
            report.BaselineDescription =
                "raw TCP request/response echo in 2 child processes: int32 LE length + payload with an 8-byte correlation id, frames as long on the wire as Orleans's, " +
                "one connection per server shared by all callers; System.IO.Pipelines on both sides (client: frames written into a Pipe under a lock, one " +
                "scheduled flush per burst, one send loop per connection; server: parse every frame of a read, one response frame each, one flush per read); " +
                "ConcurrentDictionary of TaskCompletionSource per pending call; each key sent straight to the server of the silo hosting its grain";
            report.Ratio = ratio;
            report.RatioDefinition = "atlas (plain grain) calls/s ÷ baseline calls/s, the median of per-round ratios (each round measures every system, rotating which goes first); " +
                                     "ratios.* the same for the other grain forms";
            report.AddMinimumTarget("throughput_ratio", ratio, ThroughputRatioTarget);
            report.AddMinimumTarget("prefer_local_placement_throughput_ratio", ratios[1], LocalThroughputRatioTarget);

            report.Details["silos"] = ServerCount;
            report.Details["grains"] = GrainCount;
            report.Details["concurrent_callers"] = ConcurrentCallers;
            report.Details["rounds"] = rounds;
            report.Details["window_s"] = window.TotalSeconds;
            report.Details["grain_share_per_silo"] = new JsonArray([.. share.Select(s => BenchReport.Figure(s))]);
            report.Details["frames"] = new JsonObject
            {
                ["atlas_request_bytes"] = BenchReport.Figure(requestBytes),
                ["atlas_response_bytes"] = BenchReport.Figure(responseBytes),
                ["atlas_length_prefix_bytes"] = MessageSizeMeter.OrleansLengthPrefix,
                ["baseline_request_payload_bytes"] = baselineRequest,
                ["baseline_response_payload_bytes"] = baselineResponse,
                ["baseline_length_prefix_bytes"] = 4,
                ["note"] = "atlas_*_bytes: Orleans message headers + body as its orleans-messaging-{sent,received}-messages-size instruments record them on the client, " +
                           "means over the 10,000 keys; the baseline's frames are as long on the wire (payload = headers + body + 8 - 4)",
            };
            report.Details["grain_forms"] = "atlas: the headline, a plain grain as Atlas's domain grains are; an Orleans client sends all calls of a grain through one gateway " +
                                            "(grain-to-gateway buckets, round robin), so with default placement about half the calls reach a silo that does not host the grain " +
                                            "and are forwarded (two more messages each way); atlas_prefer_local_placement and atlas_stateless_worker never forward";
            report.Details["cpu"] = "client_cpu_us_per_call: this process's CPU time ÷ calls; server_cpu_us_per_call: the server children's CPU time (sum) ÷ calls; both over the measured window";
            report.Details["figures"] = "calls_per_s, p50_us, p99_us and CPU figures are medians over rounds";
            report.Details["allocation"] = "client_bytes_per_call: this process's GC.GetTotalAllocatedBytes(precise) delta ÷ calls; server_bytes_per_call: the same in the silo processes " +
                                           "(read through a grain on each), not measured for the echo servers; in a dedicated window without latency recording";
            report.Details["latency_sampling"] = "every 8th call of each caller is timed (two clock reads per call would be a tenth of the baseline client's CPU); every call is counted";
            report.Details["grain_choice"] = "pseudo-random key per (caller, iteration), the same sequence for Atlas and the baseline; the baseline sends each key to the server index of the silo that hosts that grain";
        }
        finally
        {
            foreach (var echo in echoClients)
            {
                await echo.DisposeAsync();
            }
            if (client is not null)
            {
                await client.StopAsync();
                client.Dispose();
            }
            await Task.WhenAll(silos.Concat(echoes).Select(c => c.DisposeAsync().AsTask()));
            await RemoveMembershipRowsAsync(cluster, services.Redis, log);
        }
    }

    /// <summary>Each run is a cluster of its own: its membership table (one Redis hash, its silos dead once they left) is deleted afterwards.</summary>
    private static async Task RemoveMembershipRowsAsync(string cluster, string redis, BenchLog log)
    {
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
            // Orleans's Redis membership key: "{ServiceId}/members/{ClusterId}"; UseAtlasRedisClustering sets both to the cluster id.
            await connection.GetDatabase().KeyDeleteAsync($"{cluster}/members/{cluster}");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            log.Progress($"the membership table of cluster {cluster} stays in Redis: {exception.Message}");
        }
    }

    /// <summary>An Orleans client as Atlas's API runs in client mode: Redis membership (it finds the gateways there), AddAtlasClient.</summary>
    private static async Task<IHost> ConnectClientAsync(string cluster, string redis)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            Configuration = new Microsoft.Extensions.Configuration.ConfigurationManager(),
        });
        BenchLogging.Configure(builder.Logging);
        builder.UseOrleansClient(client => client.UseAtlasRedisClustering(redis, cluster).AddAtlasClient(builder.Configuration));
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await host.StartAsync(timeout.Token);
        return host;
    }

    /// <summary>Mean request and response message sizes of one Echo call per key, read from Orleans's instruments.</summary>
    private static async Task<(double Request, double Response)> MeasureMessagesAsync(IRemoteBenchGrain[] grains)
    {
        using var meter = new MessageSizeMeter();
        await grains[0].Echo(0);
        meter.Reset();
        await Task.WhenAll(grains.Select((g, k) => g.Echo(k).AsTask()));
        if (meter.Requests != GrainCount || meter.Responses != GrainCount)
        {
            throw new InvalidOperationException($"Orleans's instruments saw {meter.Requests} requests and {meter.Responses} responses for {GrainCount} calls.");
        }
        return (meter.MeanRequestBytes, meter.MeanResponseBytes);
    }

    /// <summary>A system answers what it was asked (the echo is not blind).</summary>
    private static async Task VerifyAsync(CallTarget target)
    {
        for (var caller = 0; caller < 4; caller++)
        {
            for (var iteration = 0L; iteration < 100; iteration++)
            {
                var call = target(caller, iteration);
                await call;
                var answer = ((Task<int>)call).Result;
                if (answer != Pick(caller, iteration))
                {
                    throw new InvalidOperationException($"Call {caller}/{iteration} answered {answer}, not {Pick(caller, iteration)}.");
                }
            }
        }
    }

    /// <summary>
    /// A dedicated window in which allocation is measured (nothing is timed): this process's allocation, and each silo's,
    /// read through a plain grain it hosts as the window opens and closes.
    /// </summary>
    private static async Task<Allocation> MeasureAtlasAllocationAsync(bool profile, BenchLog log, string name, CallTarget target,
        IRemoteBenchGrain[] grains, int[] serverOf, double[] share, LoadSpec spec)
    {
        var probes = Enumerable.Range(0, ServerCount).Select(s => grains[Array.IndexOf(serverOf, s)]).ToArray();
        Task<long[]>? before = null, after = null;
        var atlasSpec = spec with
        {
            WindowOpened = () => before = Task.WhenAll(probes.Select(p => p.SiloAllocatedBytes().AsTask())),
            WindowClosed = () => after = Task.WhenAll(probes.Select(p => p.SiloAllocatedBytes().AsTask())),
        };
        if (profile)
        {
            await Task.WhenAll(probes.Select(p => p.ProfileSiloAllocations(true, 0).AsTask()));
        }
        LoadResult load;
        using (var profiler = profile ? new AllocationProfiler() : null)
        {
            load = await LoadGenerator.RunAsync(atlasSpec, target);
            profiler?.Report(log, $"client {name} allocations", load.AllocatedBytesPerCall ?? 0);
        }
        var siloBefore = await before!;
        var siloAfter = await after!;
        var calls = Math.Max(1, load.Calls);
        var serverBytes = Enumerable.Range(0, ServerCount).Sum(s => siloAfter[s] - siloBefore[s]) / (double)calls;
        if (profile)
        {
            for (var s = 0; s < ServerCount; s++)
            {
                foreach (var line in await probes[s].ProfileSiloAllocations(false, (siloAfter[s] - siloBefore[s]) / (share[s] * calls)))
                {
                    log.Progress(line);
                }
            }
        }
        var allocation = new Allocation(load.AllocatedBytesPerCall ?? double.NaN, serverBytes);
        log.Progress(string.Create(CultureInfo.InvariantCulture,
            $"allocation {name,-28}: {load.CallsPerSecond,12:N0} calls/s  client {allocation.ClientBytesPerCall:0.0} B/call, silos {serverBytes:0.0} B/call"));
        return allocation;
    }

    private static async Task<Measured> MeasureAsync(CallTarget target, IReadOnlyList<BenchChild> servers, TimeSpan window, TimeSpan ramp)
    {
        var self = Process.GetCurrentProcess();
        TimeSpan clientBefore = default, clientAfter = default, serversBefore = default, serversAfter = default;
        var spec = new LoadSpec(ConcurrentCallers, window, ramp,
            WindowOpened: () =>
            {
                self.Refresh();
                clientBefore = self.TotalProcessorTime;
                serversBefore = Sum(servers);
            },
            WindowClosed: () =>
            {
                self.Refresh();
                clientAfter = self.TotalProcessorTime;
                serversAfter = Sum(servers);
            });
        var load = await LoadGenerator.RunAsync(spec, target);
        var calls = Math.Max(1, load.Calls);
        return new Measured(load, (clientAfter - clientBefore).TotalMicroseconds / calls, (serversAfter - serversBefore).TotalMicroseconds / calls);
    }

    private static TimeSpan Sum(IReadOnlyList<BenchChild> children)
    {
        var total = TimeSpan.Zero;
        foreach (var child in children)
        {
            total += child.CpuTime;
        }
        return total;
    }

    /// <summary>A pseudo-random grain for a caller's n-th call (SplitMix64): uniform, stateless, identical for both systems.</summary>
    private static int Pick(int caller, long iteration)
    {
        var z = ((ulong)caller << 40) ^ (ulong)iteration;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z % GrainCount);
    }

    private static double[] Throughputs(Measured[] results) => [.. results.Select(r => r.Load.CallsPerSecond)];

    private static JsonObject Figures(Measured[] rounds, Allocation allocation) => new()
    {
        ["calls_per_s"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.Load.CallsPerSecond))),
        ["p50_us"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.Load.Latency!.P50Micros))),
        ["p99_us"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.Load.Latency!.P99Micros))),
        ["client_cpu_us_per_call"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.ClientCpuMicrosPerCall))),
        ["server_cpu_us_per_call"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.ServerCpuMicrosPerCall))),
        ["client_bytes_per_call"] = BenchReport.Figure(allocation.ClientBytesPerCall),
        ["server_bytes_per_call"] = BenchReport.Figure(allocation.ServerBytesPerCall),
        ["calls_per_s_rounds"] = new JsonArray([.. rounds.Select(r => BenchReport.Figure(r.Load.CallsPerSecond))]),
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Allocation(double ClientBytesPerCall, double ServerBytesPerCall);

    private sealed record Measured(LoadResult Load, double ClientCpuMicrosPerCall, double ServerCpuMicrosPerCall)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Load}  cpu/call: client {ClientCpuMicrosPerCall,5:0.0} µs, servers {ServerCpuMicrosPerCall,5:0.0} µs");
    }
}
