using System.Text.Json.Nodes;
using Atlas.Bench.Baselines;
using Atlas.Bench.Harness;
using Atlas.Bench.Silos;

namespace Atlas.Bench.Calls;

/// <summary>
/// Grain-call throughput, latency and allocation inside one embedded silo, against a minimal Channel mailbox actor
/// doing the same work: (a) one caller awaiting call after call on one grain; (b) 1,000 concurrent callers over
/// 10,000 grains (10,000 mailbox actors for the baseline), each call going to a pseudo-random grain.
/// </summary>
public sealed class CallsScenario : IScenario
{
    private const int GrainCount = 10_000;
    private const int ConcurrentCallers = 1_000;

    public string Name => "calls";

    public string Description =>
        $"grain calls in one silo vs a Channel mailbox actor: (a) 1 sequential caller on 1 grain, (b) {ConcurrentCallers:N0} concurrent callers over {GrainCount:N0} grains";

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 7, full: 9);
        var window = settings.Period(TimeSpan.FromSeconds(0.45), TimeSpan.FromSeconds(3));
        var ramp = settings.Period(TimeSpan.FromSeconds(0.15), TimeSpan.FromSeconds(0.5));
        var warmUp = settings.Period(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        var allocationWindow = settings.Period(TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(2));

        await using var silo = await EmbeddedSilo.StartAsync();
        var grains = new IBenchCounterGrain[GrainCount];
        var actors = new MailboxActor[GrainCount];
        for (var i = 0; i < GrainCount; i++)
        {
            grains[i] = silo.Grains.GetGrain<IBenchCounterGrain>(i);
            actors[i] = new MailboxActor();
        }
        log.Progress($"activating {GrainCount:N0} grains and starting {GrainCount:N0} mailbox actors");
        await Task.WhenAll(grains.Select(g => g.Increment().AsTask()));
        await Task.WhenAll(actors.Select(a => a.Increment()));

        var shapes = new[]
        {
            new Shape("sequential", 1, (_, _) => grains[0].Increment().AsTask(), (_, _) => actors[0].Increment()),
            new Shape("concurrent", ConcurrentCallers,
                (caller, iteration) => grains[Pick(caller, iteration)].Increment().AsTask(),
                (caller, iteration) => actors[Pick(caller, iteration)].Increment()),
        };

        var spec0 = new LoadSpec(1, window, ramp);
        foreach (var shape in shapes)
        {
            log.Progress($"{shape.Name}: {shape.Callers:N0} caller(s); warm-up {warmUp.TotalSeconds:0.#} s each");
            await LoadGenerator.RunAsync(new LoadSpec(shape.Callers, warmUp, ramp, RecordLatency: false), shape.Atlas);
            await LoadGenerator.RunAsync(new LoadSpec(shape.Callers, warmUp, ramp, RecordLatency: false), shape.Baseline);

            var spec = spec0 with { Callers = shape.Callers };
            var results = await Rounds.AlternateAsync(rounds, log, shape.Name,
                ("atlas   ", () => LoadGenerator.RunAsync(spec, shape.Atlas)),
                ("baseline", () => LoadGenerator.RunAsync(spec, shape.Baseline)));

            // A dedicated window for allocation: nothing else is recorded while it is measured.
            var allocationSpec = new LoadSpec(shape.Callers, allocationWindow, ramp, RecordLatency: false, MeasureAllocations: true);
            LoadResult atlasAllocation;
            using (var profiler = settings.ProfileAllocations ? new AllocationProfiler() : null)
            {
                atlasAllocation = await LoadGenerator.RunAsync(allocationSpec, shape.Atlas);
                profiler?.Report(log, $"{shape.Name} atlas allocations", atlasAllocation.AllocatedBytesPerCall ?? 0);
            }
            log.Progress($"{shape.Name} allocation atlas   : {atlasAllocation}");
            var baselineAllocation = await LoadGenerator.RunAsync(allocationSpec, shape.Baseline);
            log.Progress($"{shape.Name} allocation baseline: {baselineAllocation}");

            report.Atlas[shape.Name] = Figures(results[0], atlasAllocation);
            report.Baseline[shape.Name] = Figures(results[1], baselineAllocation);
            var ratio = Rounds.MedianRatio(Throughputs(results[0]), Throughputs(results[1]));
            report.Ratios[$"{shape.Name}_throughput"] = BenchReport.Figure(ratio);
            shape.Ratio = ratio;
            shape.AtlasBytesPerCall = atlasAllocation.AllocatedBytesPerCall ?? double.NaN;
            log.Progress($"{shape.Name}: throughput ratio atlas/baseline {ratio:0.000}, atlas {shape.AtlasBytesPerCall:0.0} B/call");
        }

        report.BaselineDescription = "Channel<T> mailbox with one reader loop per actor, a TaskCompletionSource per message, same counter increment; one actor per grain";
        report.Ratio = shapes[1].Ratio;
        report.RatioDefinition = "concurrent case (b): atlas calls/s ÷ baseline calls/s, the median of per-round ratios (each round measures both, alternating which goes first)";
        report.AddMinimumTarget("concurrent_throughput_ratio", shapes[1].Ratio, 0.5);
        report.AddMaximumTarget("sequential_bytes_per_call", shapes[0].AtlasBytesPerCall, 300, "B");
        report.AddMaximumTarget("concurrent_bytes_per_call", shapes[1].AtlasBytesPerCall, 300, "B");
        report.Details["grains"] = GrainCount;
        report.Details["concurrent_callers"] = ConcurrentCallers;
        report.Details["rounds"] = rounds;
        report.Details["window_s"] = window.TotalSeconds;
        report.Details["grain_choice"] = "pseudo-random per (caller, iteration), the same sequence for Atlas and the baseline";
        report.Details["figures"] = "calls_per_s, p50_us and p99_us are medians over rounds; bytes_per_call is GC.GetTotalAllocatedBytes(precise) delta ÷ calls over a dedicated window";
        report.Details["latency_sampling"] = $"every {spec0.LatencySampleEvery}th call of each caller is timed (a clock read costs about as much as a local call here); every call is counted";
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

    private static IEnumerable<double> ThroughputsOf(LoadResult[] results) => results.Select(r => r.CallsPerSecond);

    private static double[] Throughputs(LoadResult[] results) => [.. ThroughputsOf(results)];

    private static JsonObject Figures(LoadResult[] rounds, LoadResult allocation) => new()
    {
        ["calls_per_s"] = BenchReport.Figure(Rounds.Median(ThroughputsOf(rounds))),
        ["p50_us"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.Latency!.P50Micros))),
        ["p99_us"] = BenchReport.Figure(Rounds.Median(rounds.Select(r => r.Latency!.P99Micros))),
        ["bytes_per_call"] = BenchReport.Figure(allocation.AllocatedBytesPerCall ?? double.NaN),
        ["calls_per_s_rounds"] = new JsonArray([.. rounds.Select(r => BenchReport.Figure(r.CallsPerSecond))]),
    };

    private sealed class Shape(string name, int callers, CallTarget atlas, CallTarget baseline)
    {
        public string Name { get; } = name;
        public int Callers { get; } = callers;
        public CallTarget Atlas { get; } = atlas;
        public CallTarget Baseline { get; } = baseline;
        public double Ratio { get; set; } = double.NaN;
        public double AtlasBytesPerCall { get; set; } = double.NaN;
    }
}
