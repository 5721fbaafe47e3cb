using System.Diagnostics;
using System.Text.Json.Nodes;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using StackExchange.Redis;

namespace Atlas.Bench.Geo;

/// <summary>
/// Location updates of available drivers. Atlas: <see cref="IDriverGrain.UpdateLocation"/> on the driver grains of an
/// embedded silo, each accepted position going one-way to its index shard, which writes batches to Redis; the clock
/// stops when Redis holds every driver's last position. Baseline: the same updates as raw GEOADDs (one per update) on
/// one key from one client, pipelined. Both against the same Redis in the same run, taking turns (baseline, Atlas,
/// baseline, Atlas, each pass on the next rounds of updates); the best pass of each is reported.
/// </summary>
public static class IngestScenario
{
    private const double CitySideMeters = 50_000;
    private const int Rounds = 10;
    private const int InFlight = 2_048;
    private const double StepMeters = 30;
    private const double Target = 0.25;
    private const int BaselineBatch = 1_000;
    private const int BaselineBatchesInFlight = 4;
    private const int Passes = 2;

    /// <summary>Runs against the Redis named by <c>ATLAS_TEST_REDIS</c>.</summary>
    public static Task<JsonObject> RunAsync(bool quick, TextWriter progress) => RunAsync(quick, progress, BenchRedis.FromEnvironment());

    public static async Task<JsonObject> RunAsync(bool quick, TextWriter progress, string redisConfiguration)
    {
        var drivers = quick ? 30_000 : 100_000;
        var updates = drivers * Rounds;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var naiveKey = $"atlas:bench:{runId}:naive";
        var prefix = $"atlas:bench:{runId}:geo:";
        progress.WriteLine($"ingest: {drivers:N0} available drivers, {Rounds} updates each ({updates:N0}), {InFlight} in flight");

        var city = new BenchCity(drivers, CitySideMeters, seed: 20261123);
        using var redis = await BenchRedis.ConnectAsync(redisConfiguration);
        var db = redis.GetDatabase();
        await using var silo = await EmbeddedSilo.StartAsync(redis, prefix, TimeSpan.FromMinutes(30));
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
                await driver.Register(new DriverRegistration($"Driver {i}", VehicleType.Economy));
                await driver.UpdateLocation(city.Positions[i], setupAt);
                await driver.GoOnline();
            });
            foreach (var position in city.Positions)
            {
                shards.Add(GeoIndexShards.Key(VehicleType.Economy, position, cellSize));
            }
            await BenchRedis.WaitUntilAsync(async () => await BenchRedis.CountSeenAsync(silo, shards, setupAt) == drivers,
                TimeSpan.FromSeconds(60), "the first positions to reach Redis");
            await Task.WhenAll(Enumerable.Range(0, (drivers + 999) / 1000).Select(b => db.GeoAddAsync(naiveKey,
                Enumerable.Range(b * 1000, Math.Min(1000, drivers - (b * 1000)))
                    .Select(i => new GeoEntry(city.Positions[i].Longitude, city.Positions[i].Latitude, city.Ids[i])).ToArray())));
            progress.WriteLine($"ingest: setup ({drivers:N0} drivers online, in {shards.Count} shards and in Redis) took {clock.Elapsed.TotalSeconds:0.0} s");

            // ---- The updates: a random walk, round after round, every driver once per round ---------------------------
            var positions = new GeoPoint[updates];
            var current = (GeoPoint[])city.Positions.Clone();
            var half = CitySideMeters / 2;
            for (var round = 0; round < Rounds; round++)
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
                    shards.Add(GeoIndexShards.Key(VehicleType.Economy, current[i], cellSize));
                }
            }
            var start = DateTimeOffset.UtcNow;
            DateTimeOffset StampOf(int update) => start.AddMilliseconds(1 + (update / drivers));
            var perPass = updates / Passes;

            // ---- The sides take turns, each pass on the next rounds of updates; the best pass of each counts ----------
            var atlasPasses = new List<AtlasPass>();
            var naivePasses = new List<double>();
            for (var pass = 0; pass < Passes; pass++)
            {
                var first = pass * perPass;
                var naiveRate = await RunBaselineAsync(db, naiveKey, city, positions, first, perPass);
                naivePasses.Add(naiveRate);
                progress.WriteLine($"ingest: pass {pass + 1} baseline {naiveRate,10:N0} updates/s  (a GEOADD per update, pipelined in batches of {BaselineBatch:N0}, {BaselineBatchesInFlight} in flight)");

                var writesBefore = silo.Writes.Writes;
                var upsertsBefore = silo.Writes.Upserts;
                var lastStamp = StampOf(first + perPass - 1);
                clock.Restart();
                await WindowedAsync(perPass, InFlight, n =>
                    silo.Grains.GetGrain<IDriverGrain>(city.Ids[(first + n) % drivers]).UpdateLocation(positions[first + n], StampOf(first + n)));
                var acknowledged = clock.Elapsed;
                await BenchRedis.WaitUntilAsync(async () => await BenchRedis.CountSeenAsync(silo, shards, lastStamp) == drivers,
                    TimeSpan.FromSeconds(120), "the last positions to reach Redis");
                var atlas = new AtlasPass(perPass / clock.Elapsed.TotalSeconds, acknowledged, clock.Elapsed,
                    silo.Writes.Writes - writesBefore, silo.Writes.Upserts - upsertsBefore);
                atlasPasses.Add(atlas);
                progress.WriteLine($"ingest: pass {pass + 1} atlas    {atlas.Rate,10:N0} updates/s  (acknowledged in {acknowledged.TotalSeconds:0.00} s, in Redis after {atlas.InRedis.TotalSeconds:0.00} s; {atlas.Writes:N0} shard writes carrying {atlas.Written:N0} positions)");
            }
            var best = atlasPasses.MaxBy(p => p.Rate)!;
            var bestNaive = naivePasses.Max();

            var ratio = best.Rate / bestNaive;
            return new JsonObject
            {
                ["scenario"] = "ingest",
                ["quick"] = quick,
                ["drivers"] = drivers,
                ["updates"] = updates,
                ["passes"] = Passes,
                ["updates_per_pass"] = perPass,
                ["atlas"] = new JsonObject
                {
                    ["how"] = $"IDriverGrain.UpdateLocation ({InFlight} in flight) on an embedded silo -> one-way IGeoIndexGrain.Upsert -> batched Lua writes to Redis; timed until Redis holds every driver's last position",
                    ["updates_per_s"] = Math.Round(best.Rate, 1),
                    ["updates_per_s_by_pass"] = new JsonArray([.. atlasPasses.Select(p => (JsonNode)Math.Round(p.Rate, 1))]),
                    ["acknowledged_s"] = Math.Round(best.Acknowledged.TotalSeconds, 3),
                    ["in_redis_s"] = Math.Round(best.InRedis.TotalSeconds, 3),
                    ["shard_writes"] = best.Writes,
                    ["positions_written"] = best.Written,
                },
                ["baseline"] = new JsonObject
                {
                    ["how"] = $"GEOADD key lon lat id per update on one key from one client, pipelined in batches of {BaselineBatch} with {BaselineBatchesInFlight} batches in flight",
                    ["updates_per_s"] = Math.Round(bestNaive, 1),
                    ["updates_per_s_by_pass"] = new JsonArray([.. naivePasses.Select(r => (JsonNode)Math.Round(r, 1))]),
                },
                ["ratio"] = Math.Round(ratio, 3),
                ["target"] = Target,
                ["met"] = ratio >= Target,
            };
        }
        finally
        {
            await db.KeyDeleteAsync(naiveKey);
            foreach (var shard in shards)
            {
                await db.KeyDeleteAsync([silo.Store.GeoKey(shard), silo.Store.SeenKey(shard), silo.Store.PositionsKey(shard)]);
            }
        }
    }

    /// <summary>
    /// The baseline: one GEOADD per update on one key, pipelined from one client. Of the pipelines tried on this machine
    /// (16, 256 or 4,096 commands in flight, batches of 16 or 1,000, fire and forget), batches of 1,000 commands with 4
    /// batches in flight were the fastest. Returns updates per second, timed until the last reply.
    /// </summary>
    private static async Task<double> RunBaselineAsync(IDatabase db, string key, BenchCity city, GeoPoint[] positions, int first, int count)
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
        return count / clock.Elapsed.TotalSeconds;
    }

    private sealed record AtlasPass(double Rate, TimeSpan Acknowledged, TimeSpan InRedis, long Writes, long Written);

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
