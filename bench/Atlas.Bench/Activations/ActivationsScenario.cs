using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Atlas.Bench.Baselines;
using Atlas.Bench.Harness;
using Atlas.Bench.Silos;

namespace Atlas.Bench.Activations;

/// <summary>
/// Memory per idle activation: the live heap grown by activating 100,000 grains (one trivial call each) in one
/// Orleans silo configured as Atlas runs it (<see cref="EmbeddedSilo"/>), less the grain objects' own size; against 100,000 minimal mailbox actors (a Channel and a reader loop each)
/// that have handled one message.
/// </summary>
public sealed class ActivationsScenario : IScenario
{
    private const int Count = 100_000;
    private const int WarmUpCount = 1_000;
    private const int InFlight = 1_000;
    private const double TargetOverheadBytes = 2048;

    public string Name => "activations";

    public string Description => $"heap per idle activation over {Count:N0} grains vs {Count:N0} Channel mailbox actors";

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 1, full: 7);

        var grainObject = MeasureGrainObjects();
        log.Progress($"grain object alone: {grainObject:0.0} B");

        var results = await Rounds.AlternateAsync(rounds, log, "activations",
            ("atlas   ", () => MeasureAtlasAsync(log)),
            ("baseline", MeasureBaselineAsync));
        var atlas = Rounds.Median(results[0].Select(r => r.BytesEach));
        var baseline = Rounds.Median(results[1].Select(r => r.BytesEach));
        var overhead = atlas - grainObject;

        report.Atlas["bytes_per_activation"] = BenchReport.Figure(atlas);
        report.Atlas["grain_object_bytes"] = BenchReport.Figure(grainObject);
        report.Atlas["overhead_bytes_per_activation"] = BenchReport.Figure(overhead);
        report.Atlas["activations_per_s"] = BenchReport.Figure(Rounds.Median(results[0].Select(r => r.PerSecond)));
        report.Atlas["bytes_per_activation_rounds"] = new JsonArray([.. results[0].Select(r => BenchReport.Figure(r.BytesEach))]);
        report.Baseline["bytes_per_actor"] = BenchReport.Figure(baseline);
        report.Baseline["actors_per_s"] = BenchReport.Figure(Rounds.Median(results[1].Select(r => r.PerSecond)));
        report.Baseline["bytes_per_actor_rounds"] = new JsonArray([.. results[1].Select(r => BenchReport.Figure(r.BytesEach))]);
        report.BaselineDescription = "MailboxActor: an unbounded single-reader Channel, a reader loop awaiting it and an int counter, held in an array; each handled one message";
        report.Ratio = baseline / atlas;
        report.RatioDefinition = "baseline bytes per mailbox actor ÷ Atlas bytes per activation (both whole: the actor's counter and the grain object included); > 1 means Atlas is leaner";
        report.AddMaximumTarget("overhead_bytes_per_activation", overhead, TargetOverheadBytes, "B");
        report.Details["grains"] = Count;
        report.Details["rounds"] = rounds;
        report.Details["method"] = "managed heap by GC.GetTotalMemory(true) after forced compacting collections, before and after (native memory such as inflated lock records is not counted, for either side); Atlas's figure includes the grain id and key the activation keeps, its catalog entry, and the grain object; the overhead excludes the grain object (measured by allocating the same number of grain instances alone)";
    }

    /// <summary>The grain's own size: instances of the grain class made outside the runtime, as its state would be.</summary>
    private static double MeasureGrainObjects()
    {
        var grains = new IdleGrain[Count];
        var before = HeapMeter.Settle();
        for (var i = 0; i < Count; i++)
        {
            grains[i] = new IdleGrain();
        }
        var after = HeapMeter.Settle();
        GC.KeepAlive(grains);
        return (after - before) / (double)Count;
    }

    private static async Task<Measurement> MeasureAtlasAsync(BenchLog log)
    {
        await using var silo = await EmbeddedSilo.StartAsync();
        var management = silo.Grains.GetGrain<IManagementGrain>(0);
        // Warm the paths (JIT, catalog, directory, pool threads) with other keys, so the window holds only the 100,000;
        // the management grain that counts activations is activated before the window too.
        await ActivateAsync(silo, -WarmUpCount, WarmUpCount);
        var liveBefore = await management.GetTotalActivationCount();
        var before = HeapMeter.Settle();
        var watch = Stopwatch.StartNew();
        await ActivateAsync(silo, 0, Count);
        var elapsed = watch.Elapsed;
        var after = HeapMeter.Settle();
        var live = await management.GetTotalActivationCount() - liveBefore;
        if (live != Count)
        {
            log.Progress($"warning: {live:N0} activations were added, expected {Count:N0}");
        }
        return new Measurement((after - before) / (double)Count, Count / elapsed.TotalSeconds);
    }

    private static async Task ActivateAsync(EmbeddedSilo silo, long firstKey, int count)
    {
        var pending = new Task[InFlight];
        for (var start = 0; start < count; start += InFlight)
        {
            var batch = Math.Min(InFlight, count - start);
            for (var i = 0; i < batch; i++)
            {
                // The reference is dropped at once: only what the runtime keeps is measured.
                pending[i] = silo.Grains.GetGrain<IIdleGrain>(firstKey + start + i).Ping();
            }
            await Task.WhenAll(pending.AsSpan(0, batch));
            Array.Clear(pending);
        }
    }

    private static async Task<Measurement> MeasureBaselineAsync()
    {
        var actors = new MailboxActor[Count];
        var replies = new Task[InFlight];
        var before = HeapMeter.Settle();
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < Count; start += InFlight)
        {
            for (var i = 0; i < InFlight; i++)
            {
                actors[start + i] = new MailboxActor();
                replies[i] = actors[start + i].Increment();
            }
            await Task.WhenAll(replies);
        }
        var elapsed = watch.Elapsed;
        Array.Clear(replies);
        var after = HeapMeter.Settle();
        await Task.WhenAll(actors.Select(a => a.StopAsync()));
        return new Measurement((after - before) / (double)Count, Count / elapsed.TotalSeconds);
    }

    private sealed record Measurement(double BytesEach, double PerSecond)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{BytesEach,8:0.0} B each, {PerSecond,10:N0} created/s");
    }
}
