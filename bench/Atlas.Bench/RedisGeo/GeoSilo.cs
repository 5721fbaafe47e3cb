using Atlas.Bench.Silos;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Infrastructure.GeoIndex;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Atlas.Bench.RedisGeo;

/// <summary>
/// An <see cref="EmbeddedSilo"/> with the ride grains and the Redis geo index, as a single-node deployment runs them;
/// the index's writes to Redis are counted (<see cref="CountingGeoIndexStore"/>).
/// </summary>
internal sealed class GeoSilo : IAsyncDisposable
{
    private readonly EmbeddedSilo _silo;

    private GeoSilo(EmbeddedSilo silo, IConnectionMultiplexer redis)
    {
        _silo = silo;
        Redis = redis;
        Store = silo.Services.GetRequiredService<RedisGeoIndexStore>();
        Writes = silo.Services.GetRequiredService<CountingGeoIndexStore>();
        IndexOptions = silo.Services.GetRequiredService<IOptions<GeoIndexOptions>>().Value;
    }

    public IConnectionMultiplexer Redis { get; }

    public IGrainFactory Grains => _silo.Grains;

    public RedisGeoIndexStore Store { get; }

    /// <summary>Counts what the shards wrote to Redis.</summary>
    public CountingGeoIndexStore Writes { get; }

    public GeoIndexOptions IndexOptions { get; }

    /// <summary>
    /// Starts the silo on <paramref name="redis"/> with its keys under <paramref name="keyPrefix"/>. Entries live
    /// <paramref name="timeToLive"/> so that a long run does not see its drivers expire.
    /// </summary>
    public static async Task<GeoSilo> StartAsync(IConnectionMultiplexer redis, string keyPrefix, TimeSpan timeToLive)
    {
        var silo = await EmbeddedSilo.StartAsync(builder =>
        {
            var services = builder.Services;
            services.AddSingleton(redis);
            services.AddRedisGeoIndex(redis.Configuration, options => options.KeyPrefix = keyPrefix);
            services.AddSingleton(sp => new CountingGeoIndexStore(sp.GetRequiredService<RedisGeoIndexStore>()));
            services.Replace(ServiceDescriptor.Singleton<IGeoIndexStore>(sp => sp.GetRequiredService<CountingGeoIndexStore>()));
            services.Configure<GeoIndexOptions>(options => options.EntryTimeToLive = timeToLive);
        });
        return new GeoSilo(silo, redis);
    }

    /// <summary>How many drivers the shards' seen sets in Redis hold that were last seen at or after <paramref name="since"/>.</summary>
    public async Task<long> CountSeenAsync(IEnumerable<string> shards, DateTimeOffset since)
    {
        var db = Redis.GetDatabase();
        var min = since.ToUnixTimeMilliseconds();
        var counts = shards.Select(shard => db.SortedSetLengthAsync(Store.SeenKey(shard), min)).ToArray();
        return (await Task.WhenAll(counts)).Sum();
    }

    /// <summary>Deletes what the index wrote to Redis for <paramref name="shards"/>.</summary>
    public async Task DeleteShardsAsync(IEnumerable<string> shards)
    {
        var db = Redis.GetDatabase();
        foreach (var shard in shards)
        {
            await db.KeyDeleteAsync([Store.GeoKey(shard), Store.SeenKey(shard), Store.PositionsKey(shard)]);
        }
    }

    public ValueTask DisposeAsync() => _silo.DisposeAsync();
}
