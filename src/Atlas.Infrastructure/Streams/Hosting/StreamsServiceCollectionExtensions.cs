using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Streams;

/// <summary>Registration of the Redis stream sinks on a silo.</summary>
public static class StreamsServiceCollectionExtensions
{
    /// <summary>
    /// Publishes ride events (<see cref="RedisRideEventSink"/>) and driver positions (<see cref="RedisLocationHistorySink"/>)
    /// to Redis Streams. Call before or after <c>AddAtlasGrains()</c>: it replaces any sinks registered before, and
    /// <c>AddAtlasGrains()</c> adds the null sinks only when none is registered. The sinks use the process's
    /// <see cref="IConnectionMultiplexer"/> if one is registered (one connection per process), and otherwise one
    /// connection of their own to <paramref name="redisConnectionString"/>, shared with the projector of the same process.
    /// <paramref name="configure"/> sets the stream layout, retention and buffering (<see cref="RideStreamOptions"/>,
    /// shared with <c>AddRideHistoryProjector</c>).
    /// </summary>
    public static IServiceCollection AddRedisRideEvents(this IServiceCollection services, string redisConnectionString, Action<RideStreamOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(redisConnectionString);
        var streams = services.AddOptions<RideStreamOptions>();
        if (configure is not null)
        {
            streams.Configure(configure);
        }
        services.AddRedisStreamConnections();
        services.RemoveAll<RedisRideEventSink>();
        services.AddSingleton(sp => new RedisRideEventSink(sp.StreamConnection(redisConnectionString), sp.StreamOptions()));
        services.RemoveAll<RedisLocationHistorySink>();
        services.AddSingleton(sp => new RedisLocationHistorySink(sp.StreamConnection(redisConnectionString), sp.StreamOptions(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<RedisLocationHistorySink>()));
        services.RemoveAll<IRideEventSink>();
        services.AddSingleton<IRideEventSink>(sp => sp.GetRequiredService<RedisRideEventSink>());
        services.RemoveAll<ILocationHistorySink>();
        services.AddSingleton<ILocationHistorySink>(sp => sp.GetRequiredService<RedisLocationHistorySink>());
        return services;
    }

    /// <summary>The process's stream connections: on the registered <see cref="IConnectionMultiplexer"/> if there is one.</summary>
    internal static IServiceCollection AddRedisStreamConnections(this IServiceCollection services)
    {
        services.AddSerializableExceptions(ExceptionSerialization.StackExchangeRedis);
        services.TryAddSingleton(sp => new RedisStreamConnections(sp.GetService<IConnectionMultiplexer>(), sp.GetService<ILoggerFactory>()));
        return services;
    }

    internal static RideStreamOptions StreamOptions(this IServiceProvider services) =>
        services.GetRequiredService<IOptions<RideStreamOptions>>().Value;

    internal static RedisStreamConnection StreamConnection(this IServiceProvider services, string redisConnectionString) =>
        services.GetRequiredService<RedisStreamConnections>().Get(redisConnectionString, services.StreamOptions());
}
