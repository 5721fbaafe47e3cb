using System.Diagnostics;
using System.Text.Json.Nodes;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using StackExchange.Redis;

namespace Atlas.Bench.Geo;

/// <summary>
/// "Which 10 drivers are nearest, within 5 km?" at city density: 100,000 drivers over 50 km × 50 km (≈ 800 per index
/// shard). Atlas answers with <see cref="DriverSearch.FindNearestAsync"/> over the Redis-backed index shards of an
/// embedded silo; the baseline is the seeds' naive query, <c>GEOSEARCH key FROMLONLAT lon lat BYRADIUS 5 km ASC COUNT 10</c>
/// on one key holding every driver, at the same concurrency against the same Redis. Both are checked against a
/// brute-force scan on a sample of queries. The sides take turns (baseline, Atlas, baseline, Atlas) and the best pass of
/// each is reported, so that a burst of load from elsewhere on a shared machine does not decide the ratio.
/// </summary>
public static class NearbyScenario
{
    private const int Drivers = 100_000;
    private const double CitySideMeters = 50_000;
    private const int K = 10;
    private const double RadiusMeters = 5_000;
    private const int Concurrency = 64;
    private const double Target = 20;
    private const int Passes = 2;

    /// <summary>Runs against the Redis named by <c>ATLAS_TEST_REDIS</c>.</summary>
    public static Task<JsonObject> RunAsync(bool quick, TextWriter progress) => RunAsync(quick, progress, BenchRedis.FromEnvironment());

    public static async Task<JsonObject> RunAsync(bool quick, TextWriter progress, string redisConfiguration)
    {
        var duration = TimeSpan.FromSeconds(quick ? 4 : 10);
        var samples = quick ? 60 : 300;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var naiveKey = $"atlas:bench:{runId}:naive";
        var prefix = $"atlas:bench:{runId}:geo:";

        progress.WriteLine($"nearby: {Drivers:N0} drivers over {CitySideMeters / 1000:0} km x {CitySideMeters / 1000:0} km, nearest {K} within {RadiusMeters / 1000:0} km, {Concurrency} concurrent queries, {Passes} passes of {duration.TotalSeconds:0} s per side");
        var city = new BenchCity(Drivers, CitySideMeters, seed: 20261122);
        var queries = Enumerable.Range(0, 1 << 16).Select(_ => city.RandomPoint()).ToArray();
        var seenAt = DateTimeOffset.UtcNow;
        var freshSince = seenAt.AddMinutes(-1);

        using var redis = await BenchRedis.ConnectAsync(redisConfiguration);
        var db = redis.GetDatabase();
        await using var silo = await EmbeddedSilo.StartAsync(redis, prefix, TimeSpan.FromMinutes(30));
        try
        {
            // ---- Load: Atlas through the shard grains (flushed to Redis), the baseline into one key ---------------------
            var clock = Stopwatch.StartNew();
            var shards = await LoadAtlasAsync(silo, city, seenAt);
            progress.WriteLine($"nearby: atlas loaded {Drivers:N0} drivers into {shards.Count} shards and flushed them to Redis in {clock.Elapsed.TotalSeconds:0.0} s");
            clock.Restart();
            await LoadNaiveAsync(db, naiveKey, city);
            progress.WriteLine($"nearby: baseline loaded {Drivers:N0} drivers into one key in {clock.Elapsed.TotalSeconds:0.0} s");

            var search = new DriverSearch(silo.Grains, silo.IndexOptions);
            Task<IReadOnlyList<GeoNeighbor>> AtlasQuery(GeoPoint at) => search.FindNearestAsync(at, VehicleType.Economy, K, freshSince);
            Task<RedisResult> NaiveQuery(GeoPoint at) =>
                db.ExecuteAsync("GEOSEARCH", naiveKey, "FROMLONLAT", at.Longitude, at.Latitude, "BYRADIUS", RadiusMeters / 1000, "km", "ASC", "COUNT", K);

            // ---- Exactness on a sample, against a brute-force scan ----------------------------------------------------
            clock.Restart();
            var stored = await StoredPositionsAsync(db, naiveKey, city);
            int atlasMismatches = 0, naiveMismatches = 0, naiveMismatchesVsExact = 0;
            for (var q = 0; q < samples; q++)
            {
                var at = queries[q];
                var expected = BruteForce.Nearest(city.Ids, city.Positions, at, K, RadiusMeters);
                var atlas = await AtlasQuery(at);
                if (!expected.Select(e => e.Id).SequenceEqual(atlas.Select(a => a.Id)))
                {
                    atlasMismatches++;
                }
                var naive = ((RedisResult[])(await NaiveQuery(at))!).Select(r => (string)r!).ToArray();
                if (!SameUpToTies(naive, BruteForce.Nearest(city.Ids, stored, at, K, RadiusMeters), stored, at))
                {
                    naiveMismatches++;
                }
                if (!naive.SequenceEqual(expected.Select(e => e.Id)))
                {
                    naiveMismatchesVsExact++;
                }
            }
            progress.WriteLine($"nearby: checked {samples} queries against a brute-force scan in {clock.Elapsed.TotalSeconds:0.0} s: atlas {atlasMismatches} mismatches, baseline {naiveMismatches} (vs the positions Redis stores; {naiveMismatchesVsExact} vs the exact positions)");

            // ---- Throughput and latency: the sides take turns; the best pass of each counts ---------------------------
            await WarmUpAsync(AtlasQuery, queries);
            var atlasRuns = new List<RunResult>();
            var naiveRuns = new List<RunResult>();
            for (var pass = 1; pass <= Passes; pass++)
            {
                var naive = await RunResult.TimedAsync(Concurrency, duration, i => NaiveQuery(queries[i & (queries.Length - 1)]));
                naiveRuns.Add(naive);
                progress.WriteLine($"nearby: pass {pass} baseline {naive.PerSecond,10:N0} queries/s  p50 {naive.PercentileMs(50):0.000} ms  p99 {naive.PercentileMs(99):0.000} ms");
                var atlas = await RunResult.TimedAsync(Concurrency, duration, i => AtlasQuery(queries[i & (queries.Length - 1)]));
                atlasRuns.Add(atlas);
                progress.WriteLine($"nearby: pass {pass} atlas    {atlas.PerSecond,10:N0} queries/s  p50 {atlas.PercentileMs(50):0.000} ms  p99 {atlas.PercentileMs(99):0.000} ms");
            }
            var atlasRun = atlasRuns.MaxBy(r => r.PerSecond)!;
            var naiveRun = naiveRuns.MaxBy(r => r.PerSecond)!;

            var ratio = atlasRun.PerSecond / naiveRun.PerSecond;
            return new JsonObject
            {
                ["scenario"] = "nearby",
                ["quick"] = quick,
                ["drivers"] = Drivers,
                ["city_km"] = CitySideMeters / 1000,
                ["k"] = K,
                ["radius_m"] = RadiusMeters,
                ["concurrency"] = Concurrency,
                ["passes"] = Passes,
                ["seconds_per_pass"] = duration.TotalSeconds,
                ["atlas"] = new JsonObject
                {
                    ["how"] = "DriverSearch.FindNearestAsync (1 -> 2.5 -> 5 km) over Redis-backed index shards on an embedded silo",
                    ["shards"] = shards.Count,
                    ["queries"] = atlasRun.Operations,
                    ["queries_per_s"] = Math.Round(atlasRun.PerSecond, 1),
                    ["queries_per_s_by_pass"] = PerPass(atlasRuns),
                    ["p50_ms"] = Math.Round(atlasRun.PercentileMs(50), 3),
                    ["p99_ms"] = Math.Round(atlasRun.PercentileMs(99), 3),
                    ["checked"] = samples,
                    ["mismatches"] = atlasMismatches,
                },
                ["baseline"] = new JsonObject
                {
                    ["how"] = $"GEOSEARCH key FROMLONLAT lon lat BYRADIUS {RadiusMeters / 1000:0} km ASC COUNT {K} on one key of {Drivers} drivers",
                    ["queries"] = naiveRun.Operations,
                    ["queries_per_s"] = Math.Round(naiveRun.PerSecond, 1),
                    ["queries_per_s_by_pass"] = PerPass(naiveRuns),
                    ["p50_ms"] = Math.Round(naiveRun.PercentileMs(50), 3),
                    ["p99_ms"] = Math.Round(naiveRun.PercentileMs(99), 3),
                    ["checked"] = samples,
                    ["mismatches"] = naiveMismatches,
                    ["mismatches_vs_exact_positions"] = naiveMismatchesVsExact,
                },
                ["ratio"] = Math.Round(ratio, 2),
                ["target"] = Target,
                ["met"] = ratio >= Target && atlasMismatches == 0,
            };
        }
        finally
        {
            await db.KeyDeleteAsync(naiveKey);
            foreach (var shard in LoadedShards(city, silo.IndexOptions.CellSizeDegrees))
            {
                await db.KeyDeleteAsync([silo.Store.GeoKey(shard), silo.Store.SeenKey(shard), silo.Store.PositionsKey(shard)]);
            }
        }
    }

    private static JsonArray PerPass(List<RunResult> runs) => new([.. runs.Select(r => (JsonNode)Math.Round(r.PerSecond, 1))]);

    private static HashSet<string> LoadedShards(BenchCity city, double cellSize) =>
        city.Positions.Select(p => GeoIndexShards.Key(VehicleType.Economy, p, cellSize)).ToHashSet();

    /// <summary>Upserts every driver into its shard, then waits until every shard's seen set in Redis holds all of them.</summary>
    private static async Task<HashSet<string>> LoadAtlasAsync(EmbeddedSilo silo, BenchCity city, DateTimeOffset seenAt)
    {
        var cellSize = silo.IndexOptions.CellSizeDegrees;
        var shards = new HashSet<string>();
        for (var i = 0; i < city.Count; i++)
        {
            var shard = GeoIndexShards.Key(VehicleType.Economy, city.Positions[i], cellSize);
            shards.Add(shard);
            await silo.Grains.GetGrain<IGeoIndexGrain>(shard).Upsert(city.Ids[i], city.Positions[i], seenAt);
        }
        await BenchRedis.WaitUntilAsync(async () => await BenchRedis.CountSeenAsync(silo, shards, seenAt) == city.Count,
            TimeSpan.FromSeconds(60), "the shards to flush every driver to Redis");
        return shards;
    }

    private static async Task LoadNaiveAsync(IDatabase db, string key, BenchCity city)
    {
        const int Batch = 1_000;
        var writes = new List<Task>();
        for (var first = 0; first < city.Count; first += Batch)
        {
            var entries = Enumerable.Range(first, Math.Min(Batch, city.Count - first))
                .Select(i => new GeoEntry(city.Positions[i].Longitude, city.Positions[i].Latitude, city.Ids[i]))
                .ToArray();
            writes.Add(db.GeoAddAsync(key, entries));
        }
        await Task.WhenAll(writes);
    }

    /// <summary>The positions as Redis GEO stores them (a 52-bit geohash moves them by up to ~0.6 m).</summary>
    private static async Task<GeoPoint[]> StoredPositionsAsync(IDatabase db, string key, BenchCity city)
    {
        var stored = new GeoPoint[city.Count];
        const int Batch = 1_000;
        for (var first = 0; first < city.Count; first += Batch)
        {
            var count = Math.Min(Batch, city.Count - first);
            var members = city.Ids.Skip(first).Take(count).Select(id => (RedisValue)id).ToArray();
            var positions = await db.GeoPositionAsync(key, members);
            for (var i = 0; i < count; i++)
            {
                var position = positions[i] ?? throw new InvalidOperationException($"{members[i]} is missing from {key}.");
                stored[first + i] = new GeoPoint(position.Latitude, position.Longitude);
            }
        }
        return stored;
    }

    /// <summary>
    /// Whether GEOSEARCH's answer is the brute-force answer over the same (stored) positions, allowing drivers at equal
    /// distance to come in either order (GEOSEARCH breaks ties arbitrarily).
    /// </summary>
    private static bool SameUpToTies(string[] naive, List<(string Id, double Distance)> expected, GeoPoint[] stored, GeoPoint at)
    {
        if (naive.Length != expected.Count)
        {
            return false;
        }
        for (var i = 0; i < naive.Length; i++)
        {
            var index = int.Parse(naive[i].AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            if (Math.Abs(GeoMath.DistanceMeters(at, stored[index]) - expected[i].Distance) > 1e-6)
            {
                return false;
            }
        }
        return true;
    }

    private static async Task WarmUpAsync(Func<GeoPoint, Task<IReadOnlyList<GeoNeighbor>>> query, GeoPoint[] points)
    {
        // JIT and tiered compilation settle before the timed run.
        await RunResult.TimedAsync(Concurrency, TimeSpan.FromSeconds(1), i => query(points[(points.Length - 1) - (int)(i % points.Length)]));
    }
}
