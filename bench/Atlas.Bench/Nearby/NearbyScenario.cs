using System.Diagnostics;
using System.Text.Json.Nodes;
using Atlas.Bench.RedisGeo;
using Atlas.Bench.Harness;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using StackExchange.Redis;

namespace Atlas.Bench.Nearby;

/// <summary>
/// "Which 10 drivers are nearest, within 5 km?" at city density: 100,000 drivers over 50 km × 50 km (≈ 800 per index
/// shard). Atlas answers with <see cref="DriverSearch.FindNearestAsync"/> over the Redis-backed index shards of an
/// embedded silo (<see cref="GeoSilo"/>); the baseline is the seeds' naive query,
/// <c>GEOSEARCH key FROMLONLAT lon lat BYRADIUS 5 km ASC COUNT 10</c> on one key holding every driver, at the same
/// concurrency against the same Redis. Both are checked against a brute-force scan on a sample of queries. The sides
/// take turns and the best pass of each is reported, so that a burst of load from elsewhere on a shared machine does
/// not decide the ratio.
/// </summary>
public sealed class NearbyScenario : IScenario
{
    private const int Drivers = 100_000;
    private const double CitySideMeters = 50_000;
    private const int K = 10;
    private const double RadiusMeters = 5_000;
    private const int Concurrency = 64;
    private const double Target = 20;

    public string Name => "nearby";

    public string Description =>
        $"nearest {K} drivers within {RadiusMeters / 1000:0} km among {Drivers:N0}: the Redis-backed geo index shards vs one-key GEOSEARCH BYRADIUS ASC COUNT {K}, {Concurrency} concurrent queries";

    // As the API with its embedded silo runs: server GC.
    public bool ServerGc => true;

    public async Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report)
    {
        var passes = settings.RoundsOr(quick: 2, full: 2);
        var window = settings.Period(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10));
        var ramp = settings.Period(TimeSpan.FromSeconds(0.25), TimeSpan.FromSeconds(0.5));
        var warmUp = settings.Period(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var samples = settings.Quick ? 60 : 300;
        var runId = Guid.NewGuid().ToString("N")[..8];
        var naiveKey = $"atlas:bench:{runId}:naive";
        var prefix = $"atlas:bench:{runId}:geo:";

        log.Progress($"{Drivers:N0} drivers over {CitySideMeters / 1000:0} km x {CitySideMeters / 1000:0} km, nearest {K} within {RadiusMeters / 1000:0} km, {Concurrency} concurrent queries, {passes} passes of {window.TotalSeconds:0.#} s per side");
        var city = new BenchCity(Drivers, CitySideMeters, seed: 20261122);
        var queries = Enumerable.Range(0, 1 << 16).Select(_ => city.RandomPoint()).ToArray();
        var seenAt = DateTimeOffset.UtcNow;
        var freshSince = seenAt.AddMinutes(-1);

        var services = await BenchServices.EnsureAsync(log);
        using var redis = await GeoRedis.ConnectAsync(services.Redis);
        var db = redis.GetDatabase();
        await using var silo = await GeoSilo.StartAsync(redis, prefix, TimeSpan.FromMinutes(30));
        var shards = city.Positions.Select(p => GeoIndexShards.Key("economy", p, silo.IndexOptions.CellSizeDegrees)).ToHashSet();
        try
        {
            // ---- Load: Atlas through the shard grains (flushed to Redis), the baseline into one key ---------------------
            var clock = Stopwatch.StartNew();
            await LoadAtlasAsync(silo, city, shards, seenAt);
            log.Progress($"atlas loaded {Drivers:N0} drivers into {shards.Count} shards and flushed them to Redis in {clock.Elapsed.TotalSeconds:0.0} s");
            clock.Restart();
            await LoadNaiveAsync(db, naiveKey, city);
            log.Progress($"baseline loaded {Drivers:N0} drivers into one key in {clock.Elapsed.TotalSeconds:0.0} s");

            var search = new DriverSearch(silo.Grains, silo.IndexOptions);
            Task<IReadOnlyList<GeoNeighbor>> AtlasQuery(GeoPoint at) => search.FindNearestAsync(at, "economy", K, freshSince);
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
            log.Progress($"checked {samples} queries against a brute-force scan in {clock.Elapsed.TotalSeconds:0.0} s: atlas {atlasMismatches} mismatches, baseline {naiveMismatches} (vs the positions Redis stores; {naiveMismatchesVsExact} vs the exact positions)");

            // ---- Throughput and latency: the sides take turns; the best pass of each counts ---------------------------
            // Both sides ask the same queries in the same order; the warm-up (JIT, tiered compilation) asks others.
            var mask = queries.Length - 1;
            CallTarget atlasLoad = (caller, iteration) => AtlasQuery(queries[(int)((iteration * Concurrency) + caller) & mask]);
            CallTarget naiveLoad = (caller, iteration) => NaiveQuery(queries[(int)((iteration * Concurrency) + caller) & mask]);
            await LoadGenerator.RunAsync(new LoadSpec(Concurrency, warmUp, TimeSpan.Zero, RecordLatency: false),
                (caller, iteration) => AtlasQuery(queries[mask - ((int)((iteration * Concurrency) + caller) & mask)]));
            var spec = new LoadSpec(Concurrency, window, ramp, LatencySampleEvery: 1);
            var results = await Rounds.AlternateAsync(passes, log, "nearby",
                ("atlas   ", () => LoadGenerator.RunAsync(spec, atlasLoad)),
                ("baseline", () => LoadGenerator.RunAsync(spec, naiveLoad)));
            var atlasBest = results[0].MaxBy(r => r.CallsPerSecond)!;
            var naiveBest = results[1].MaxBy(r => r.CallsPerSecond)!;
            var ratio = atlasBest.CallsPerSecond / naiveBest.CallsPerSecond;

            report.Atlas.Add("how", "DriverSearch.FindNearestAsync (1 -> 2.5 -> 5 km) over Redis-backed index shards (grains) on an embedded Orleans silo (AddAtlasSilo)");
            report.Atlas["shards"] = shards.Count;
            Figures(report.Atlas, atlasBest, results[0], samples, atlasMismatches);
            report.Baseline.Add("how", $"GEOSEARCH key FROMLONLAT lon lat BYRADIUS {RadiusMeters / 1000:0} km ASC COUNT {K} on one key of {Drivers} drivers");
            Figures(report.Baseline, naiveBest, results[1], samples, naiveMismatches);
            report.Baseline["mismatches_vs_exact_positions"] = naiveMismatchesVsExact;
            report.BaselineDescription = $"the seeds' naive query: single-key GEOSEARCH {RadiusMeters / 1000:0} km ASC COUNT {K}, same Redis, same concurrency";
            report.Ratio = ratio;
            report.RatioDefinition = "atlas queries/s ÷ baseline queries/s, the best pass of each (passes alternate which side goes first)";
            report.AddMinimumTarget("throughput_ratio", ratio, Target);
            report.AddMaximumTarget("atlas_mismatches", atlasMismatches, 0);
            report.Details["drivers"] = Drivers;
            report.Details["city_km"] = CitySideMeters / 1000;
            report.Details["k"] = K;
            report.Details["radius_m"] = RadiusMeters;
            report.Details["concurrency"] = Concurrency;
            report.Details["passes"] = passes;
            report.Details["seconds_per_pass"] = window.TotalSeconds;
            report.Details["figures"] = "queries_per_s, p50_ms and p99_ms of each side's best pass; every query timed (log-linear histogram, ±3 %); mismatches: answers that differ from a brute-force scan on the first queries";
        }
        finally
        {
            await db.KeyDeleteAsync(naiveKey);
            await silo.DeleteShardsAsync(shards);
        }
    }

    private static void Figures(JsonObject side, LoadResult best, LoadResult[] passes, int samples, int mismatches)
    {
        side["queries"] = best.Calls;
        side["queries_per_s"] = BenchReport.Figure(best.CallsPerSecond);
        side["queries_per_s_by_pass"] = new JsonArray([.. passes.Select(r => BenchReport.Figure(r.CallsPerSecond))]);
        side["p50_ms"] = BenchReport.Figure(best.Latency!.P50Micros / 1000);
        side["p99_ms"] = BenchReport.Figure(best.Latency.P99Micros / 1000);
        side["checked"] = samples;
        side["mismatches"] = mismatches;
    }

    /// <summary>Upserts every driver into its shard, then waits until every shard's seen set in Redis holds all of them.</summary>
    private static async Task LoadAtlasAsync(GeoSilo silo, BenchCity city, HashSet<string> shards, DateTimeOffset seenAt)
    {
        var cellSize = silo.IndexOptions.CellSizeDegrees;
        for (var i = 0; i < city.Count; i++)
        {
            var shard = GeoIndexShards.Key("economy", city.Positions[i], cellSize);
            await silo.Grains.GetGrain<IGeoIndexGrain>(shard).Upsert(city.Ids[i], city.Positions[i], seenAt);
        }
        await GeoRedis.WaitUntilAsync(async () => await silo.CountSeenAsync(shards, seenAt) == city.Count,
            TimeSpan.FromSeconds(60), "the shards to flush every driver to Redis");
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
}
