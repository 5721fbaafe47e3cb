using Atlas.Grains.Geo.Index;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Atlas.Infrastructure.GeoIndex;

/// <summary>Registration of the Redis geo index store on a silo.</summary>
public static class GeoIndexRegistration
{
    /// <summary>
    /// Keeps the driver geo index in Redis (<see cref="RedisGeoIndexStore"/>) instead of in memory. Call it before or after
    /// <c>AddAtlasGrains()</c>: it replaces any other <see cref="IGeoIndexStore"/>. The store uses the process's
    /// <see cref="IConnectionMultiplexer"/> if one is registered (one connection per process, as StackExchange.Redis
    /// intends), and otherwise opens one connection of its own from <paramref name="connectionString"/>, shared by all the
    /// shards of the silo and closed with it.
    /// </summary>
    public static IServiceCollection AddRedisGeoIndex(this IServiceCollection services, string connectionString,
        Action<RedisGeoIndexOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddOptions<GeoIndexOptions>();
        services.AddSerializableExceptions(ExceptionSerialization.StackExchangeRedis);
        services.AddOptions<RedisGeoIndexOptions>().Configure(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisGeoIndexOptions>>().Value;
            var index = sp.GetRequiredService<IOptions<GeoIndexOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger<RedisGeoIndexStore>();
            return sp.GetService<IConnectionMultiplexer>() is { } shared
                ? new RedisGeoIndexStore(shared, options, index, time, logger)
                : new RedisGeoIndexStore(options, index, time, logger);
        });
        services.Replace(ServiceDescriptor.Singleton<IGeoIndexStore>(sp => sp.GetRequiredService<RedisGeoIndexStore>()));
        return services;
    }
}
