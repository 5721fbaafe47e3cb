using System.Diagnostics;
using System.Text.Json.Nodes;
using Atlas.Bench.Harness;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Postgres;
using Npgsql;

namespace Atlas.Bench.WalletLedger;

/// <summary>
/// Finished-ride payments per second. A payment is what a finished ride's outbox delivers, in order: a capture on the
/// rider's wallet (its hold placed beforehand, outside the measured part), a credit to the driver's wallet and a credit
/// to the ONE platform wallet, which every payment touches: the hot spot. <see cref="InFlight"/> rides pay at once.
/// <para>
/// Atlas: the wallet grains of an embedded Orleans silo with the PostgreSQL ledger (<see cref="WalletGrainPayments"/>).
/// Baseline, in the same run: plain PostgreSQL transactions doing the same rows (<see cref="PlainTransactionPayments"/>),
/// with the same pool size and the same number of rides in flight. Both check at the end that the platform wallet
/// holds exactly the sum of every commission.
/// </para>
/// </summary>
public sealed class LedgerScenario : IScenario
{
    /// <summary>Rides paying at the same time, each with its own rider and driver.</summary>
    public const int InFlight = 256;

    /// <summary>PostgreSQL connections, on both sides.</summary>
    public const int PoolSize = 32;

    /// <summary>The ratio Atlas ÷ baseline of payments per second the platform must reach.</summary>
    public const double Target = 0.5;

    public string Name => "ledger";

    public string Description =>
        $"finished-ride payments through the wallet grains on PostgreSQL vs plain PostgreSQL transactions on the same rows, {InFlight} rides in flight, pool {PoolSize}";

    public bool ServerGc => true;

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var rounds = settings.RoundsOr(quick: 1, full: 3);
        var warmUpRides = settings.Quick ? 1 : 2;
        var measuredRides = settings.Quick ? 4 : 10; // per ride slot and round
        var rides = warmUpRides + (rounds * measuredRides);

        var services = await BenchServices.EnsureAsync(log);
        var pooled = new NpgsqlConnectionStringBuilder(services.Postgres) { MaxPoolSize = PoolSize, MinPoolSize = 0 }.ConnectionString;
        await using (var schema = NpgsqlDataSource.Create(pooled))
        {
            await PostgresMigrations.ApplyAsync(schema, PostgresLedgerSchema.Migrations);
        }
        var run = Guid.NewGuid().ToString("N")[..8];
        log.Progress($"{InFlight} rides in flight, {rounds} round(s) of {measuredRides} payments per ride slot ({InFlight * measuredRides} per side and round), pool {PoolSize}, run {run}");

        await using var atlas = await WalletGrainPayments.StartAsync(pooled, new RideWallets($"bench-{run}-atlas"));
        await using var baseline = PlainTransactionPayments.Create(pooled, new RideWallets($"bench-{run}-sql"));
        var sides = new (string Name, IRidePayments Payments)[] { ("atlas   ", atlas), ("baseline", baseline) };
        foreach (var (name, payments) in sides)
        {
            log.Progress($"{name}: placing {InFlight * rides} holds, then {InFlight * warmUpRides} warm-up payments");
            await ForEachSlotAsync(slot => payments.PrepareAsync(slot, rides));
            await ForEachSlotAsync(async slot =>
            {
                for (var ride = 0; ride < warmUpRides; ride++)
                {
                    await payments.PayAsync(slot, ride);
                }
            });
        }

        // Each side's n-th round pays the n-th block of rides after the warm-up.
        var roundsDone = new int[sides.Length];
        var results = await Rounds.AlternateAsync(rounds, log, "payments",
            sides.Select((side, s) => (side.Name, (Func<Task<LoadResult>>)(() =>
                MeasureAsync(side.Payments, warmUpRides + (roundsDone[s]++ * measuredRides), measuredRides)))).ToArray());

        var expectedCommissions = Enumerable.Range(0, InFlight).SelectMany(slot => Enumerable.Range(0, rides).Select(ride => RideFare.Of(slot, ride).Commission)).Sum();
        foreach (var (name, payments) in sides)
        {
            var balance = await payments.PlatformBalanceAsync();
            if (balance != expectedCommissions)
            {
                throw new InvalidOperationException($"{name.Trim()}: the platform wallet holds {balance}, the commissions of {InFlight * rides} payments make {expectedCommissions}.");
            }
        }
        log.Progress($"platform wallets checked: each holds {expectedCommissions}, the sum of every commission");

        var atlasPooled = LoadResult.Pool(results[0]);
        var baselinePooled = LoadResult.Pool(results[1]);
        var ratio = atlasPooled.CallsPerSecond / baselinePooled.CallsPerSecond;
        report.Atlas.Add("how", "wallet grains (IWalletGrain Capture, Credit, Credit) on an embedded Orleans silo (AddAtlasSilo, memory grain storage) with AddPostgresLedger");
        Figures(report.Atlas, atlasPooled, results[0]);
        report.Baseline.Add("how", "per movement: BEGIN, SELECT … FOR UPDATE of the wallet row (and the hold), PostgresLedgerStore's apply statement (prepared), COMMIT");
        Figures(report.Baseline, baselinePooled, results[1]);
        report.BaselineDescription = $"plain PostgreSQL transactions on the same schema and rows, pool {PoolSize}, {InFlight} rides in flight";
        report.Ratio = ratio;
        report.RatioDefinition = "atlas payments/s ÷ baseline payments/s, each over all its measured payments (a payment = rider capture + driver credit + platform credit)";
        report.AddMinimumTarget("throughput_ratio", ratio, Target);
        report.Details["rides_in_flight"] = InFlight;
        report.Details["pool_size"] = PoolSize;
        report.Details["rounds"] = rounds;
        report.Details["payments_per_round"] = InFlight * measuredRides;
        report.Details["warm_up_payments"] = InFlight * warmUpRides;
        report.Details["figures"] = "payments_per_s over all rounds; p50_ms and p99_ms over every payment (log-linear histogram, ±3 %)";
    }

    /// <summary>Pays rides first … first + count - 1 of every slot, the slots concurrently; one call is one payment.</summary>
    private static async Task<LoadResult> MeasureAsync(IRidePayments payments, int first, int count)
    {
        using var latencies = new LatencyHistogram();
        var clock = Stopwatch.StartNew();
        await ForEachSlotAsync(async slot =>
        {
            for (var ride = first; ride < first + count; ride++)
            {
                var started = Stopwatch.GetTimestamp();
                await payments.PayAsync(slot, ride);
                latencies.Record(Stopwatch.GetTimestamp() - started);
            }
        });
        var elapsed = clock.Elapsed;
        var counts = latencies.Counts();
        return new LoadResult(InFlight * count, elapsed, LatencyHistogram.Summarize(counts), null) { LatencyCounts = counts };
    }

    private static Task ForEachSlotAsync(Func<int, Task> body) =>
        Parallel.ForEachAsync(Enumerable.Range(0, InFlight), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (slot, _) => await body(slot));

    private static void Figures(JsonObject side, LoadResult pooled, LoadResult[] rounds)
    {
        side["payments_per_s"] = BenchReport.Figure(pooled.CallsPerSecond);
        side["p50_ms"] = BenchReport.Figure(pooled.Latency!.P50Micros / 1000);
        side["p99_ms"] = BenchReport.Figure(pooled.Latency.P99Micros / 1000);
        side["payments"] = pooled.Calls;
        side["payments_per_s_rounds"] = new JsonArray([.. rounds.Select(r => BenchReport.Figure(r.CallsPerSecond))]);
    }
}
