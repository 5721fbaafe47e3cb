using Atlas.Actors;
using Atlas.Actors.Hosting;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Hosting;
using Atlas.Infrastructure.GeoIndex;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Atlas.Bench.Geo;

/// <summary>One silo in this process with the ride grains and the Redis geo index, as a single-node deployment runs them.</summary>
internal sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EmbeddedSilo(ServiceProvider services, Silo silo, IConnectionMultiplexer redis)
    {
        _services = services;
        Redis = redis;
        Silo = silo;
        Store = services.GetRequiredService<RedisGeoIndexStore>();
        Writes = services.GetRequiredService<CountingGeoIndexStore>();
        IndexOptions = services.GetRequiredService<IOptions<GeoIndexOptions>>().Value;
    }

    public Silo Silo { get; }

    public IConnectionMultiplexer Redis { get; }

    public IGrainFactory Grains => Silo.GrainFactory;

    public RedisGeoIndexStore Store { get; }

    /// <summary>Counts what the shards wrote to Redis.</summary>
    public CountingGeoIndexStore Writes { get; }

    public GeoIndexOptions IndexOptions { get; }

    /// <summary>
    /// Starts the silo on <paramref name="redis"/> with its keys under <paramref name="keyPrefix"/>. Entries live
    /// <paramref name="timeToLive"/> so that a long run does not see its drivers expire.
    /// </summary>
    public static async Task<EmbeddedSilo> StartAsync(IConnectionMultiplexer redis, string keyPrefix, TimeSpan timeToLive)
    {
        var services = new ServiceCollection();
        services.AddAtlasSiloWithoutHost(silo => silo.UseInMemoryClustering().AddMemoryGrainStorageAsDefault());
        services.AddSingleton(redis);
        services.AddRedisGeoIndex(redis.Configuration, options => options.KeyPrefix = keyPrefix);
        services.AddSingleton(sp => new CountingGeoIndexStore(sp.GetRequiredService<RedisGeoIndexStore>()));
        services.Replace(ServiceDescriptor.Singleton<IGeoIndexStore>(sp => sp.GetRequiredService<CountingGeoIndexStore>()));
        services.AddAtlasGrains();
        services.Configure<GeoIndexOptions>(options => options.EntryTimeToLive = timeToLive);
        var provider = services.BuildServiceProvider();
        var silo = provider.GetRequiredService<Silo>();
        await silo.StartAsync();
        return new EmbeddedSilo(provider, silo, redis);
    }

    public async ValueTask DisposeAsync()
    {
        await Silo.StopAsync();
        await _services.DisposeAsync();
    }
}

/// <summary>Passes the shards' loads and writes to the Redis store, counting the writes and the entries they carry.</summary>
internal sealed class CountingGeoIndexStore(IGeoIndexStore inner) : IGeoIndexStore
{
    private long _writes;
    private long _upserts;
    private long _removals;
    private long _failures;

    public long Writes => Interlocked.Read(ref _writes);

    public long Upserts => Interlocked.Read(ref _upserts);

    public long Removals => Interlocked.Read(ref _removals);

    public long Failures => Interlocked.Read(ref _failures);

    public Task<IReadOnlyList<GeoCandidate>> LoadAsync(string shard, CancellationToken cancellationToken = default) =>
        inner.LoadAsync(shard, cancellationToken);

    public async Task<bool> WriteAsync(string shard, IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals,
        CancellationToken cancellationToken = default)
    {
        bool held;
        try
        {
            held = await inner.WriteAsync(shard, upserts, removals, cancellationToken);
        }
        catch
        {
            Interlocked.Increment(ref _failures);
            throw;
        }
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _upserts, upserts.Count);
        Interlocked.Add(ref _removals, removals.Count);
        return held;
    }
}
