using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Atlas.Bench.RedisGeo;
using Atlas.Bench.Harness;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using StackExchange.Redis;

namespace Atlas.Bench.Ingest;

/// <summary>
/// Location updates of available drivers. Atlas: <see cref="IDriverGrain.UpdateLocation"/> on the driver grains of an
/// embedded silo (<see cref="GeoSilo"/>), each accepted position going one-way to its index shard, which writes
/// batches to Redis; the clock stops when Redis holds every driver's last position. Baseline: the same updates as raw
/// GEOADDs (one per update) on one key from one client, pipelined. Both against the same Redis in the same run, taking
/// turns, each pass on the next updates of the random walk; the best pass of each is reported.
/// </summary>
public sealed class IngestScenario : IScenario
{
    private const double CitySideMeters = 50_000;
    private const int UpdatesPerDriverAndPass = 5;
    private const int InFlight = 2_048;
    private const double StepMeters = 30;
    private const double Target = 0.25;
    private const int BaselineBatch = 1_000;
    private const int BaselineBatchesInFlight = 4;

    public string Name => "ingest";

    public string Description =>
        $"driver location updates through the driver grains into the Redis geo index vs raw GEOADDs pipelined on one key, {InFlight} updates in flight";

    // As the API with its embedded silo runs: server GC.
    public bool ServerGc => true;

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var passes = settings.RoundsOr(quick: 2, full: 2);
        // Quick: 15,000 drivers; bringing each online (registered, located, online: two grain-state writes) is most of the set-up.
        var drivers = settings.Quick ? 15_000 : 100_000;
        var perPass = drivers * UpdatesPerDriverAndPass;
        var updates = perPass * passes;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var naiveKey = $"atlas:bench:{runId}:naive";
        var prefix = $"atlas:bench:{runId}:geo:";
        log.Progress($"{drivers:N0} available drivers, {updates / drivers} updates each ({updates:N0}) in {passes} passes per side, {InFlight} in flight");

        var city = new BenchCity(drivers, CitySideMeters, seed: 20261123);
        var services = await BenchServices.EnsureAsync(log);
        using var redis = await GeoRedis.ConnectAsync(services.Redis);
        var db = redis.GetDatabase();
        await using var silo = await GeoSilo.StartAsync(redis, prefix, TimeSpan.FromMinutes(30));
        var cellSize = silo.IndexOptions.CellSizeDegrees;
        var shards = new HashSet<string>();
        try
        {
            // ---- Setup: registered, located, online; the baseline key holds the same first positions ------------------
            var clock = Stopwatch.StartNew();
            var setupAt = DateTimeOffset.UtcNow;
            await WindowedAsync(drivers, 512, async i =>
            {
                var driver = silo.Grains.GetGrain<IDriverGrain>(city.Ids[i]);
                await driver.Register(new DriverRegistration($"Driver {i}", "economy"));
                await driver.UpdateLocation(city.Positions[i], setupAt);
                await driver.GoOnline();
            });
            foreach (var position in city.Positions)
            {
                shards.Add(GeoIndexShards.Key("economy", position, cellSize));
            }
            await GeoRedis.WaitUntilAsync(async () => await silo.CountSeenAsync(shards, setupAt) == drivers,
                TimeSpan.FromSeconds(60), "the first positions to reach Redis");
            await Task.WhenAll(Enumerable.Range(0, (drivers + 999) / 1000).Select(b => db.GeoAddAsync(naiveKey,
                Enumerable.Range(b * 1000, Math.Min(1000, drivers - (b * 1000)))
                    .Select(i => new GeoEntry(city.Positions[i].Longitude, city.Positions[i].Latitude, city.Ids[i])).ToArray())));
            log.Progress($"setup ({drivers:N0} drivers online, in {shards.Count} shards and in Redis) took {clock.Elapsed.TotalSeconds:0.0} s");

            // ---- The updates: a random walk, round after round, every driver once per round ---------------------------
            var positions = new GeoPoint[updates];
            var current = (GeoPoint[])city.Positions.Clone();
            var half = CitySideMeters / 2;
            for (var round = 0; round < updates / drivers; round++)
            {
                for (var i = 0; i < drivers; i++)
                {
                    var moved = BenchCity.Offset(current[i], (city.Random.NextDouble() - 0.5) * 2 * StepMeters, (city.Random.NextDouble() - 0.5) * 2 * StepMeters);
                    var north = (moved.Latitude - BenchCity.Center.Latitude) * GeoMath.MetersPerDegree;
                    var east = (moved.Longitude - BenchCity.Center.Longitude) * GeoMath.MetersPerDegree * Math.Cos(BenchCity.Center.Latitude * Math.PI / 180);
                    if (Math.Abs(north) < half && Math.Abs(east) < half)
                    {
                        current[i] = moved;
                    }
                    positions[(round * drivers) + i] = current[i];
                    shards.Add(GeoIndexShards.Key("economy", current[i], cellSize));
                }
            }
            var start = DateTimeOffset.UtcNow;
            DateTimeOffset StampOf(int update) => start.AddMilliseconds(1 + (update / drivers));

            async Task<IngestPass> AtlasPassAsync(int pass)
            {
                var first = pass * perPass;
                var writesBefore = silo.Writes.Writes;
                var upsertsBefore = silo.Writes.Upserts;
                var lastStamp = StampOf(first + perPass - 1);
                var passClock = Stopwatch.StartNew();
                await WindowedAsync(perPass, InFlight, n =>
                    silo.Grains.GetGrain<IDriverGrain>(city.Ids[(first + n) % drivers]).UpdateLocation(positions[first + n], StampOf(first + n)));
                var acknowledged = passClock.Elapsed;
                await GeoRedis.WaitUntilAsync(async () => await silo.CountSeenAsync(shards, lastStamp) == drivers,
                    TimeSpan.FromSeconds(120), "the last positions to reach Redis");
                return new IngestPass(perPass, passClock.Elapsed, acknowledged, silo.Writes.Writes - writesBefore, silo.Writes.Upserts - upsertsBefore);
            }

            // ---- The sides take turns, each pass on the next updates; the best pass of each counts --------------------
            var passesDone = new int[2];
            var results = await Rounds.AlternateAsync(passes, log, "ingest",
                ("atlas   ", () => AtlasPassAsync(passesDone[0]++)),
                ("baseline", () => BaselinePassAsync(db, naiveKey, city, positions, passesDone[1]++ * perPass, perPass)));
            var best = results[0].MaxBy(p => p.UpdatesPerSecond)!;
            var bestNaive = results[1].MaxBy(p => p.UpdatesPerSecond)!;
            var ratio = best.UpdatesPerSecond / bestNaive.UpdatesPerSecond;

            report.Atlas.Add("how", $"IDriverGrain.UpdateLocation ({InFlight} in flight) on an embedded Orleans silo (AddAtlasSilo) -> one-way IGeoIndexGrain.Upsert -> batched Lua writes to Redis; timed until Redis holds every driver's last position");
            report.Atlas["updates_per_s"] = BenchReport.Figure(best.UpdatesPerSecond);
            report.Atlas["updates_per_s_by_pass"] = PerPass(results[0]);
            report.Atlas["acknowledged_s"] = BenchReport.Figure(best.Acknowledged!.Value.TotalSeconds);
            report.Atlas["in_redis_s"] = BenchReport.Figure(best.Elapsed.TotalSeconds);
            report.Atlas["shard_writes"] = best.ShardWrites;
            report.Atlas["positions_written"] = best.PositionsWritten;
            report.Baseline.Add("how", $"GEOADD key lon lat id per update on one key from one client, pipelined in batches of {BaselineBatch} with {BaselineBatchesInFlight} batches in flight");
            report.Baseline["updates_per_s"] = BenchReport.Figure(bestNaive.UpdatesPerSecond);
            report.Baseline["updates_per_s_by_pass"] = PerPass(results[1]);
            report.BaselineDescription = "raw pipelined GEOADDs, one per update, on one key of the same Redis";
            report.Ratio = ratio;
            report.RatioDefinition = "atlas updates/s (until Redis holds every last position) ÷ baseline updates/s (until the last reply), the best pass of each (passes alternate which side goes first)";
            report.AddMinimumTarget("throughput_ratio", ratio, Target);
            report.Details["drivers"] = drivers;
            report.Details["updates"] = updates;
            report.Details["passes"] = passes;
            report.Details["updates_per_pass"] = perPass;
        }
        finally
        {
            await db.KeyDeleteAsync(naiveKey);
            await silo.DeleteShardsAsync(shards);
        }
    }

    private static JsonArray PerPass(IngestPass[] passes) => new([.. passes.Select(p => BenchReport.Figure(p.UpdatesPerSecond))]);

    /// <summary>
    /// The baseline: one GEOADD per update on one key, pipelined from one client. Of the pipelines tried on this machine
    /// (16, 256 or 4,096 commands in flight, batches of 16 or 1,000, fire and forget), batches of 1,000 commands with 4
    /// batches in flight were the fastest. Timed until the last reply.
    /// </summary>
    private static async Task<IngestPass> BaselinePassAsync(IDatabase db, string key, BenchCity city, GeoPoint[] positions, int first, int count)
    {
        var clock = Stopwatch.StartNew();
        var inFlight = new Queue<Task>();
        for (var start = first; start < first + count; start += BaselineBatch)
        {
            var batch = db.CreateBatch();
            Task last = Task.CompletedTask;
            for (var i = start; i < Math.Min(first + count, start + BaselineBatch); i++)
            {
                last = batch.GeoAddAsync(key, positions[i].Longitude, positions[i].Latitude, city.Ids[i % city.Count]);
            }
            batch.Execute();
            inFlight.Enqueue(last); // replies come in order: the last one means the whole batch was applied
            if (inFlight.Count == BaselineBatchesInFlight)
            {
                await inFlight.Dequeue();
            }
        }
        await Task.WhenAll(inFlight);
        return new IngestPass(count, clock.Elapsed);
    }

    /// <summary>Runs <paramref name="operation"/> for 0..count-1 in order, with at most <paramref name="window"/> in flight.</summary>
    private static async Task WindowedAsync(int count, int window, Func<int, Task> operation)
    {
        var pending = new Task[window];
        for (var i = 0; i < count; i++)
        {
            var slot = i % window;
            if (pending[slot] is { } previous)
            {
                await previous;
            }
            pending[slot] = operation(i);
        }
        await Task.WhenAll(pending.Where(t => t is not null));
    }
}

/// <summary>
/// One pass of one side: <see cref="Updates"/> applied in <see cref="Elapsed"/>; for Atlas also when the last update was
/// acknowledged (before the index's writes reached Redis) and what the shards wrote.
/// </summary>
internal sealed record IngestPass(int Updates, TimeSpan Elapsed, TimeSpan? Acknowledged = null, long ShardWrites = 0, long PositionsWritten = 0)
{
    public double UpdatesPerSecond => Updates / Elapsed.TotalSeconds;

    public override string ToString() => Acknowledged is { } acknowledged
        ? string.Create(CultureInfo.InvariantCulture,
            $"{UpdatesPerSecond,10:N0} updates/s  (acknowledged in {acknowledged.TotalSeconds:0.00} s, in Redis after {Elapsed.TotalSeconds:0.00} s; {ShardWrites:N0} shard writes carrying {PositionsWritten:N0} positions)")
        : string.Create(CultureInfo.InvariantCulture,
            $"{UpdatesPerSecond,10:N0} updates/s  (a GEOADD per update, pipelined)");
}
