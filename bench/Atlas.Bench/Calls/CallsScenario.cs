using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Atlas.Bench.Baselines;
using Atlas.Bench.Harness;
using Atlas.Bench.Silos;

namespace Atlas.Bench.Calls;

/// <summary>
/// Grain-call throughput, latency, CPU and allocation inside one Orleans silo, against a minimal Channel mailbox actor
/// doing the same work: (a) one caller awaiting call after call on one grain; (b) 1,000 concurrent callers over 10,000
/// grains (10,000 mailbox actors for the baseline), each call going to a pseudo-random grain. Atlas is measured as
/// production runs it (<c>AddAtlasSilo</c>: call-chain filters on) and, in the same rounds, in two silos that differ only
/// by their grain call filters — without the call-chain filters, and without any filter — so the cost of the filters is
/// measured side by side.
/// </summary>
public sealed class CallsScenario : IScenario
{
    private const int GrainCount = 10_000;
    private const int ConcurrentCallers = 1_000;

    /// <summary>
    /// Throughput ratio Atlas ÷ Channel mailbox, concurrent case: Orleans without filters reaches ~0.2–0.25 here, with
    /// AddAtlasSilo's filters ~0.17; the target leaves a margin for a shared machine's noise (see the README).
    /// </summary>
    private const double ThroughputRatioTarget = 0.12;

    /// <summary>
    /// Bytes allocated per call, either case, as production runs (filters on): Orleans allocates ~850 B per local call
    /// (message, callback, response, invokable), its filter pipeline ~400 B more, Atlas's call-chain filters ~570 B more.
    /// </summary>
    private const double BytesPerCallTarget = 2_048;

    /// <summary>The call-chain filters may cost at most this share of the throughput of the same silo without them (~18 % measured).</summary>
    private const double FilterThroughputCostTarget = 0.25;

    public string Name => "calls";

    public string Description =>
        $"Orleans grain calls in one silo (call-chain filters on, off, no filters) vs a Channel mailbox actor: (a) 1 sequential caller on 1 grain, (b) {ConcurrentCallers:N0} concurrent callers over {GrainCount:N0} grains";

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 5, full: 9);
        var window = settings.Period(TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(3));
        var ramp = settings.Period(TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.5));
        // Tiered JIT: the first system's warm-up compiles most of what the other silos run too.
        var warmUp = settings.Period(TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(3));
        var allocationWindow = settings.Period(TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(2));

        var clock = Stopwatch.StartNew();
        await using var atlasSilo = await EmbeddedSilo.StartAsync();
        await using var noChainSilo = await EmbeddedSilo.StartAsync(filters: SiloFilters.WithoutCallChains);
        await using var noFilterSilo = await EmbeddedSilo.StartAsync(filters: SiloFilters.None);
        log.Progress($"3 silos started in {clock.Elapsed.TotalSeconds:0.0} s (AddAtlasSilo + memory storage, localhost clustering; one with all its filters, one without the call-chain filters, one without any grain call filter)");

        var systems = new[]
        {
            new CallSystem("atlas", Grains(atlasSilo)),
            new CallSystem("atlas-no-chain", Grains(noChainSilo)),
            new CallSystem("orleans-no-filter", Grains(noFilterSilo)),
        };
        var actors = new MailboxActor[GrainCount];
        for (var i = 0; i < GrainCount; i++)
        {
            actors[i] = new MailboxActor();
        }
        clock.Restart();
        foreach (var system in systems)
        {
            await Task.WhenAll(system.Grains.Select(g => g.Increment().AsTask()));
        }
        await Task.WhenAll(actors.Select(a => a.Increment()));
        log.Progress($"activated {GrainCount:N0} grains in each silo and started {GrainCount:N0} mailbox actors in {clock.Elapsed.TotalSeconds:0.0} s");

        var shapes = new[]
        {
            new Shape("sequential", 1,
                [.. systems.Select(s => (s.Name, (CallTarget)((_, _) => s.Grains[0].Increment().AsTask())))],
                (_, _) => actors[0].Increment()),
            new Shape("concurrent", ConcurrentCallers,
                [.. systems.Select(s => (s.Name, (CallTarget)((caller, iteration) => s.Grains[Pick(caller, iteration)].Increment().AsTask())))],
                (caller, iteration) => actors[Pick(caller, iteration)].Increment()),
        };

        foreach (var shape in shapes)
        {
            (string Name, CallTarget Target)[] all = [.. shape.Systems, ("baseline", shape.Baseline)];
            log.Progress($"{shape.Name}: {shape.Callers:N0} caller(s); warm-up {warmUp.TotalSeconds:0.#} s for the first system, {warmUp.TotalSeconds / 3:0.#} s for each other");
            for (var s = 0; s < all.Length; s++)
            {
                await LoadGenerator.RunAsync(new LoadSpec(shape.Callers, s == 0 ? warmUp : warmUp / 3, ramp, RecordLatency: false), all[s].Target);
            }

            var results = await Rounds.AlternateAsync(rounds, log, shape.Name,
                [.. all.Select(s => (s.Name.PadRight(17), (Func<Task<Measured>>)(() => MeasureAsync(new LoadSpec(shape.Callers, window, ramp), s.Target))))]);

            // A dedicated window per system for allocation: nothing else is recorded while it is measured.
            var allocationSpec = new LoadSpec(shape.Callers, allocationWindow, ramp, RecordLatency: false, MeasureAllocations: true);
            var allocations = new LoadResult[all.Length];
            for (var s = 0; s < all.Length; s++)
            {
                using var profiler = settings.ProfileAllocations && s < all.Length - 1 ? new AllocationProfiler() : null;
                allocations[s] = await LoadGenerator.RunAsync(allocationSpec, all[s].Target);
                profiler?.Report(log, $"{shape.Name} {all[s].Name} allocations", allocations[s].AllocatedBytesPerCall ?? 0);
                log.Progress($"{shape.Name} allocation {all[s].Name,-17}: {allocations[s]}");
            }

            var figures = Enumerable.Range(0, all.Length).Select(s => Figures(results[s], allocations[s])).ToArray();
            var baselineThroughputs = Throughputs(results[^1]);
            report.Atlas[shape.Name] = figures[0];
            report.Atlas[$"{shape.Name}_without_call_chain_filters"] = figures[1];
            report.Atlas[$"{shape.Name}_without_any_filter"] = figures[2];
            report.Baseline[shape.Name] = figures[^1];
            shape.Ratio = Rounds.MedianRatio(Throughputs(results[0]), baselineThroughputs);
            report.Ratios[$"{shape.Name}_throughput"] = BenchReport.Figure(shape.Ratio);
            report.Ratios[$"{shape.Name}_throughput_without_call_chain_filters"] = BenchReport.Figure(Rounds.MedianRatio(Throughputs(results[1]), baselineThroughputs));
            report.Ratios[$"{shape.Name}_throughput_without_any_filter"] = BenchReport.Figure(Rounds.MedianRatio(Throughputs(results[2]), baselineThroughputs));
            shape.AtlasBytesPerCall = allocations[0].AllocatedBytesPerCall ?? double.NaN;

            // What the call-chain filters cost: the same silo configuration with and without them, round by round.
            var throughputShare = Rounds.MedianRatio(Throughputs(results[0]), Throughputs(results[1]));
            shape.FilterThroughputCost = 1 - throughputShare;
            report.Details[$"{shape.Name}_call_chain_filter_cost"] = new JsonObject
            {
                ["throughput_lost"] = BenchReport.Figure(shape.FilterThroughputCost),
                ["cpu_us_per_call"] = BenchReport.Figure(Median(results[0], r => r.CpuMicrosPerCall) - Median(results[1], r => r.CpuMicrosPerCall)),
                ["wall_us_per_call"] = BenchReport.Figure(1e6 / Median(results[0], r => r.Load.CallsPerSecond) - 1e6 / Median(results[1], r => r.Load.CallsPerSecond)),
                ["p50_us"] = BenchReport.Figure(Median(results[0], r => r.Load.Latency!.P50Micros) - Median(results[1], r => r.Load.Latency!.P50Micros)),
                ["bytes_per_call"] = BenchReport.Figure((allocations[0].AllocatedBytesPerCall ?? double.NaN) - (allocations[1].AllocatedBytesPerCall ?? double.NaN)),
            };
            report.Details[$"{shape.Name}_filter_pipeline_cost"] = new JsonObject
            {
                ["throughput_lost"] = BenchReport.Figure(1 - Rounds.MedianRatio(Throughputs(results[0]), Throughputs(results[2]))),
                ["cpu_us_per_call"] = BenchReport.Figure(Median(results[0], r => r.CpuMicrosPerCall) - Median(results[2], r => r.CpuMicrosPerCall)),
                ["bytes_per_call"] = BenchReport.Figure((allocations[0].AllocatedBytesPerCall ?? double.NaN) - (allocations[2].AllocatedBytesPerCall ?? double.NaN)),
            };
            log.Progress(string.Create(CultureInfo.InvariantCulture,
                $"{shape.Name}: throughput ratio atlas/baseline {shape.Ratio:0.000}, atlas {shape.AtlasBytesPerCall:0.0} B/call; call-chain filters cost {shape.FilterThroughputCost:P1} of throughput"));
        }

        report.BaselineDescription = "Channel<T> mailbox with one reader loop per actor, a TaskCompletionSource per message, same counter increment; one actor per grain";
        report.Ratio = shapes[1].Ratio;
        report.RatioDefinition = "concurrent case (b), production configuration (call-chain filters on): atlas calls/s ÷ baseline calls/s, the median of per-round ratios (each round measures every system, rotating which goes first)";
        report.AddMinimumTarget("concurrent_throughput_ratio", shapes[1].Ratio, ThroughputRatioTarget);
        report.AddMaximumTarget("sequential_bytes_per_call", shapes[0].AtlasBytesPerCall, BytesPerCallTarget, "B");
        report.AddMaximumTarget("concurrent_bytes_per_call", shapes[1].AtlasBytesPerCall, BytesPerCallTarget, "B");
        report.AddMaximumTarget("concurrent_call_chain_filter_throughput_cost", shapes[1].FilterThroughputCost, FilterThroughputCostTarget);
        report.Details["grains"] = GrainCount;
        report.Details["concurrent_callers"] = ConcurrentCallers;
        report.Details["rounds"] = rounds;
        report.Details["window_s"] = window.TotalSeconds;
        report.Details["silos"] = "three Orleans 10.4.2 silos in this process, each Host + UseOrleans + UseLocalhostClustering (free ports) + AddAtlasSilo + UseAtlasMemoryStorage; " +
                                  "calls through the silo's hosted client (IGrainFactory from the host), as Atlas.Api's embedded silo makes them";
        report.Details["filters"] = "atlas: AddAtlasSilo as is (call-chain incoming + outgoing filters, activity propagation filters); " +
                                    "atlas-no-chain: the same, with the 2 call-chain filter registrations removed from the service collection after AddAtlasSilo; " +
                                    "orleans-no-filter: the same, with every grain call filter registration removed (Orleans then invokes grains without a filter pipeline)";
        report.Details["grain_choice"] = "pseudo-random per (caller, iteration), the same sequence for every system";
        report.Details["figures"] = "calls_per_s, p50_us, p99_us and cpu_us_per_call (process CPU time ÷ calls over the window) are medians over rounds; " +
                                    "bytes_per_call is GC.GetTotalAllocatedBytes(precise) delta ÷ calls over a dedicated window; " +
                                    "*_call_chain_filter_cost compares atlas with atlas-no-chain (throughput_lost = 1 − median per-round ratio), *_filter_pipeline_cost atlas with orleans-no-filter";
        report.Details["latency_sampling"] = "every 8th call of each caller is timed (a clock read costs about as much as a local call here); every call is counted";
    }

    private static IBenchCounterGrain[] Grains(EmbeddedSilo silo) =>
        [.. Enumerable.Range(0, GrainCount).Select(i => silo.Grains.GetGrain<IBenchCounterGrain>(i))];

    private static async Task<Measured> MeasureAsync(LoadSpec spec, CallTarget target)
    {
        var self = Process.GetCurrentProcess();
        TimeSpan before = default, after = default;
        var load = await LoadGenerator.RunAsync(spec with
        {
            WindowOpened = () =>
            {
                self.Refresh();
                before = self.TotalProcessorTime;
            },
            WindowClosed = () =>
            {
                self.Refresh();
                after = self.TotalProcessorTime;
            },
        }, target);
        return new Measured(load, (after - before).TotalMicroseconds / Math.Max(1, load.Calls));
    }

    /// <summary>A pseudo-random grain for a caller's n-th call (SplitMix64): uniform, stateless, identical for every system.</summary>
    private static int Pick(int caller, long iteration)
    {
        var z = ((ulong)caller << 40) ^ (ulong)iteration;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z % GrainCount);
    }

    private static double Median(Measured[] rounds, Func<Measured, double> figure) => Rounds.Median(rounds.Select(figure));

    private static double[] Throughputs(Measured[] results) => [.. results.Select(r => r.Load.CallsPerSecond)];

    private static JsonObject Figures(Measured[] rounds, LoadResult allocation) => new()
    {
        ["calls_per_s"] = BenchReport.Figure(Median(rounds, r => r.Load.CallsPerSecond)),
        ["p50_us"] = BenchReport.Figure(Median(rounds, r => r.Load.Latency!.P50Micros)),
        ["p99_us"] = BenchReport.Figure(Median(rounds, r => r.Load.Latency!.P99Micros)),
        ["cpu_us_per_call"] = BenchReport.Figure(Median(rounds, r => r.CpuMicrosPerCall)),
        ["bytes_per_call"] = BenchReport.Figure(allocation.AllocatedBytesPerCall ?? double.NaN),
        ["calls_per_s_rounds"] = new JsonArray([.. rounds.Select(r => BenchReport.Figure(r.Load.CallsPerSecond))]),
    };

    private sealed record CallSystem(string Name, IBenchCounterGrain[] Grains);

    private sealed record Measured(LoadResult Load, double CpuMicrosPerCall)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Load}  cpu {CpuMicrosPerCall,5:0.00} µs/call");
    }

    private sealed class Shape(string name, int callers, (string Name, CallTarget Target)[] systems, CallTarget baseline)
    {
        public string Name { get; } = name;
        public int Callers { get; } = callers;
        public (string Name, CallTarget Target)[] Systems { get; } = systems;
        public CallTarget Baseline { get; } = baseline;
        public double Ratio { get; set; } = double.NaN;
        public double AtlasBytesPerCall { get; set; } = double.NaN;
        public double FilterThroughputCost { get; set; } = double.NaN;
    }
}
