using Atlas.Actors.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Atlas.Actors.Redis;

/// <summary>Registration of the Redis membership table on a silo.</summary>
public static class RedisClusteringExtensions
{
    /// <summary>
    /// Keeps the cluster's membership table in Redis (the transport is configured separately). The table uses the
    /// process's <see cref="IConnectionMultiplexer"/> if one is registered, and otherwise opens its own connection from
    /// <paramref name="connectionString"/>. The cluster id is the silo's unless <paramref name="configure"/> sets one.
    /// </summary>
    public static ISiloBuilder UseRedisClustering(this ISiloBuilder builder, string connectionString, Action<RedisMembershipOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddOptions<RedisMembershipOptions>().Configure(options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        });
        return builder.UseMembershipTable(services =>
        {
            var options = services.GetRequiredService<IOptions<RedisMembershipOptions>>().Value
                .ForCluster(services.GetRequiredService<IOptions<SiloOptions>>().Value.ClusterId);
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<RedisMembershipTable>();
            return services.GetService<IConnectionMultiplexer>() is { } shared
                ? new RedisMembershipTable(shared, options, logger)
                : new RedisMembershipTable(options, logger);
        });
    }
}
