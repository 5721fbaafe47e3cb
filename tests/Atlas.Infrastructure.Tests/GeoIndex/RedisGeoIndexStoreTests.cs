using Atlas.Testing.Servers;
using System.Globalization;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Hosting;
using Atlas.Infrastructure.GeoIndex;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.GeoIndex;

[Collection(RedisCollection.Name)]
public sealed class RedisGeoIndexStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);

    private async Task<(RedisGeoIndexStore Store, IDatabase Db)> StoreAsync(TimeSpan? timeToLive = null, TimeProvider? time = null)
    {
        var redis = await TestRedisServer.SharedAsync();
        var store = new RedisGeoIndexStore(redis, new RedisGeoIndexOptions { KeyPrefix = GeoTestKeys.NewPrefix("store") },
            new GeoIndexOptions { EntryTimeToLive = timeToLive ?? TimeSpan.FromMinutes(2) }, time ?? _time);
        return (store, redis.GetDatabase());
    }

    [Fact]
    public async Task A_written_batch_loads_back_exactly()
    {
        var (store, _) = await StoreAsync();
        GeoCandidate[] batch =
        [
            new("a", new GeoPoint(48.856614, 2.3522219), Start.AddTicks(-1234567)),
            new("b", new GeoPoint(-33.8688197, 151.2092955), new DateTimeOffset(2026, 11, 22, 13, 59, 59, TimeSpan.FromHours(2)).AddTicks(7)),
            new("c", new GeoPoint(0.1 + 0.2, -179.99999999999997), Start),
        ];

        await store.WriteAsync("economy:1:2", batch, []);

        var loaded = await store.LoadAsync("economy:1:2");
        Assert.Equal(batch.OrderBy(c => c.Id), loaded.OrderBy(c => c.Id));
    }

    [Fact]
    public async Task Upserts_replace_and_removals_delete_in_every_key()
    {
        var (store, db) = await StoreAsync();
        const string Shard = "comfort:3:4";
        await store.WriteAsync(Shard, [new("a", new GeoPoint(10, 10), Start), new("b", new GeoPoint(10.01, 10.01), Start)], []);

        var moved = new GeoCandidate("a", new GeoPoint(10.002, 10.003), Start.AddSeconds(5));
        await store.WriteAsync(Shard, [moved], ["b"]);

        Assert.Equal([moved], await store.LoadAsync(Shard));
        Assert.Equal(["a"], (await db.SortedSetRangeByRankAsync(store.SeenKey(Shard))).Select(v => (string)v!));
        Assert.Equal(moved.LastSeen.ToUnixTimeMilliseconds(), await db.SortedSetScoreAsync(store.SeenKey(Shard), "a"));
        var position = (await db.GeoPositionAsync(store.GeoKey(Shard), "a"))!.Value;
        Assert.Equal(10.002, position.Latitude, 5);
        Assert.Equal(10.003, position.Longitude, 5);
        Assert.Null(await db.GeoPositionAsync(store.GeoKey(Shard), "b"));
        Assert.False(await db.HashExistsAsync(store.PositionsKey(Shard), "b"));
    }

    [Fact]
    public async Task A_batch_is_one_script_call_on_the_server()
    {
        var (store, db) = await StoreAsync();
        await store.WriteAsync("xl:5:6", [new("warm", new GeoPoint(1, 1), Start)], []); // the script is cached from here on
        var before = await ScriptCallsAsync(db);

        await store.WriteAsync("xl:5:6", Enumerable.Range(0, 500).Select(i => new GeoCandidate($"d{i}", new GeoPoint(1, 1 + (i * 1e-4)), Start)).ToArray(),
            ["warm"]);

        Assert.Equal(before + 1, await ScriptCallsAsync(db));
        Assert.Equal(500, (await store.LoadAsync("xl:5:6")).Count);
    }

    [Fact]
    public async Task Writes_and_loads_go_on_after_Redis_lost_its_script_cache()
    {
        var (store, _) = await StoreAsync();
        await store.WriteAsync("xl:7:8", [new("a", new GeoPoint(1, 1), Start)], []); // the connection now sends EVALSHA

        // As a restart would: the server forgets the scripts, the store's connection does not know.
        using (var other = await TestRedisServer.ConnectAsync())
        {
            await other.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");
        }

        Assert.True(await store.WriteAsync("xl:7:8", [new("b", new GeoPoint(1, 1.001), Start)], []));
        Assert.Equal(["a", "b"], (await store.LoadAsync("xl:7:8")).Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_batch_larger_than_a_script_can_unpack_at_once_is_written_whole()
    {
        var (store, _) = await StoreAsync();
        var batch = Enumerable.Range(0, 20_000).Select(i => new GeoCandidate($"d{i}", new GeoPoint(20 + (i * 1e-6), 30), Start)).ToArray();

        await store.WriteAsync("economy:7:8", batch, []);
        await store.WriteAsync("economy:7:8", [], batch.Take(15_000).Select(c => c.Id).ToArray());

        Assert.Equal(batch.Skip(15_000).OrderBy(c => c.Id), (await store.LoadAsync("economy:7:8")).OrderBy(c => c.Id));
    }

    [Fact]
    public async Task Drivers_beyond_the_latitudes_of_Redis_GEO_are_kept_exactly_but_left_out_of_the_GEO_set()
    {
        var (store, db) = await StoreAsync();
        const string Shard = "premium:3599:0";
        GeoCandidate[] polar = [new("north", new GeoPoint(89.99, 12.5), Start), new("pole", new GeoPoint(90, 0), Start)];
        await store.WriteAsync(Shard, [.. polar, new("mover", new GeoPoint(85, 1), Start)], []);
        Assert.NotNull(await db.GeoPositionAsync(store.GeoKey(Shard), "mover"));

        var moved = new GeoCandidate("mover", new GeoPoint(89.5, 1), Start.AddSeconds(1));
        await store.WriteAsync(Shard, [moved], []);

        Assert.Equal(polar.Append(moved).OrderBy(c => c.Id), (await store.LoadAsync(Shard)).OrderBy(c => c.Id));
        Assert.Equal(0, await db.SortedSetLengthAsync(store.GeoKey(Shard)));
    }

    [Fact]
    public async Task Stale_entries_are_swept_from_every_key_by_the_next_write()
    {
        var (store, db) = await StoreAsync(TimeSpan.FromMinutes(2));
        const string Shard = "economy:9:10";
        await store.WriteAsync(Shard, [new("old", new GeoPoint(5, 5), Start), new("young", new GeoPoint(5, 5.001), Start.AddMinutes(1))], []);
        _time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));

        await store.WriteAsync(Shard, [new("new", new GeoPoint(5, 5.002), _time.GetUtcNow())], []);

        Assert.Equal(["new", "young"], (await db.SortedSetRangeByRankAsync(store.SeenKey(Shard))).Select(v => (string)v!).Order());
        Assert.Null(await db.GeoPositionAsync(store.GeoKey(Shard), "old"));
        Assert.False(await db.HashExistsAsync(store.PositionsKey(Shard), "old"));
    }

    [Fact]
    public async Task A_load_sweeps_stale_entries_and_returns_only_fresh_ones()
    {
        var (store, db) = await StoreAsync(TimeSpan.FromMinutes(2));
        const string Shard = "economy:11:12";
        await store.WriteAsync(Shard, [new("old", new GeoPoint(5, 5), Start), new("young", new GeoPoint(5, 5.001), Start.AddMinutes(1))], []);
        _time.Advance(TimeSpan.FromMinutes(2.5));

        var loaded = await store.LoadAsync(Shard);

        Assert.Equal(["young"], loaded.Select(c => c.Id));
        Assert.Equal(1, await db.HashLengthAsync(store.PositionsKey(Shard)));
        Assert.Equal(1, await db.SortedSetLengthAsync(store.GeoKey(Shard)));
    }

    [Fact]
    public async Task A_shard_never_written_again_expires_when_its_freshest_entry_goes_stale()
    {
        var (store, db) = await StoreAsync(TimeSpan.FromMinutes(2));
        const string Shard = "economy:13:14";

        await store.WriteAsync(Shard, [new("a", new GeoPoint(5, 5), Start.AddSeconds(-30)), new("b", new GeoPoint(5, 5), Start.AddSeconds(-10))], []);

        // The freshest entry (b) goes stale 110 s from now: so do the keys.
        foreach (var key in new[] { store.GeoKey(Shard), store.SeenKey(Shard), store.PositionsKey(Shard) })
        {
            var ttl = await db.KeyTimeToLiveAsync(key);
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value.TotalSeconds, 105, 110);
        }
    }

    [Fact]
    public async Task Redis_deletes_the_keys_of_a_forgotten_shard_once_everything_in_it_is_stale()
    {
        var (store, db) = await StoreAsync(TimeSpan.FromMilliseconds(500), TimeProvider.System);
        const string Shard = "economy:15:16";
        await store.WriteAsync(Shard, [new("a", new GeoPoint(5, 5), DateTimeOffset.UtcNow)], []);
        Assert.True(await db.KeyExistsAsync(store.SeenKey(Shard)));

        await Eventually.HoldsAsync(async () =>
                !await db.KeyExistsAsync(store.GeoKey(Shard)) && !await db.KeyExistsAsync(store.SeenKey(Shard)) && !await db.KeyExistsAsync(store.PositionsKey(Shard)),
            "the shard's keys to expire", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_write_reports_whether_the_store_still_held_the_shard()
    {
        var (store, db) = await StoreAsync();
        const string Shard = "economy:17:18";

        Assert.False(await store.WriteAsync(Shard, [new("a", new GeoPoint(5, 5), Start)], []));
        Assert.True(await store.WriteAsync(Shard, [new("b", new GeoPoint(5, 5), Start)], []));
        await db.KeyDeleteAsync([store.GeoKey(Shard), store.SeenKey(Shard), store.PositionsKey(Shard)]); // as a restart without persistence would
        Assert.False(await store.WriteAsync(Shard, [new("c", new GeoPoint(5, 5), Start)], []));
    }

    [Fact]
    public async Task An_unknown_shard_loads_empty()
    {
        var (store, _) = await StoreAsync();

        Assert.Empty(await store.LoadAsync("economy:0:0"));
    }

    [Fact]
    public async Task An_entry_that_is_not_a_position_fails_the_load_naming_it()
    {
        var (store, db) = await StoreAsync();
        const string Shard = "economy:19:20";
        await store.WriteAsync(Shard, [new("a", new GeoPoint(5, 5), Start)], []);
        await db.HashSetAsync(store.PositionsKey(Shard), "a", "somewhere");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.LoadAsync(Shard));
        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
        Assert.Contains(store.PositionsKey(Shard), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddRedisGeoIndex_replaces_the_in_memory_store_whether_registered_before_or_after_the_grains(bool beforeGrains)
    {
        var redis = await TestRedisServer.SharedAsync();
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(redis);
        if (!beforeGrains)
        {
            services.AddAtlasGrains();
        }
        services.AddRedisGeoIndex(TestRedisServer.ConnectionString, o => o.KeyPrefix = GeoTestKeys.NewPrefix("registration"));
        if (beforeGrains)
        {
            services.AddAtlasGrains();
        }
        await using var provider = services.BuildServiceProvider();

        var store = Assert.IsType<RedisGeoIndexStore>(provider.GetRequiredService<IGeoIndexStore>());
        Assert.Same(store, provider.GetRequiredService<RedisGeoIndexStore>());
        await store.WriteAsync("economy:21:22", [new("a", new GeoPoint(5, 5), DateTimeOffset.UtcNow)], []);
        Assert.Single(await store.LoadAsync("economy:21:22"));
    }

    [Fact]
    public async Task A_store_without_a_registered_connection_opens_its_own()
    {
        var services = new ServiceCollection();
        services.AddRedisGeoIndex(TestRedisServer.ConnectionString, o => o.KeyPrefix = GeoTestKeys.NewPrefix("own-connection"));
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IGeoIndexStore>();

        await store.WriteAsync("economy:23:24", [new("a", new GeoPoint(5, 5), DateTimeOffset.UtcNow)], []);

        Assert.Single(await store.LoadAsync("economy:23:24"));
    }

    /// <summary>EVAL and EVALSHA calls the server has run (INFO commandstats: <c>cmdstat_evalsha:calls=12,usec=…</c>).</summary>
    private static async Task<long> ScriptCallsAsync(IDatabase db)
    {
        // Raw: the typed IServer.InfoAsync needs a connection in admin mode, which the tests' shared one is not.
        var stats = (string)(await db.ExecuteAsync("INFO", "commandstats"))!;
        return stats.Split('\n')
            .Where(line => line.StartsWith("cmdstat_eval:", StringComparison.Ordinal) || line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal))
            .Sum(line => long.Parse(line.Split(':')[1].Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture));
    }
}
