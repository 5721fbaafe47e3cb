using Atlas.Infrastructure;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Atlas.Hosting.Clustering;

/// <summary>Orleans' Redis membership table (<c>Microsoft.Orleans.Clustering.Redis</c>) for silo processes and API clients.</summary>
public static class RedisClusteringExtensions
{
    /// <summary>Membership in Redis under the cluster id; the silo finds the others there.</summary>
    public static ISiloBuilder UseAtlasRedisClustering(this ISiloBuilder silo, string redis, string clusterId)
    {
        var options = Parse(redis);
        silo.UseRedisClustering(o => o.ConfigurationOptions = options);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = clusterId;
        });
        return silo;
    }

    /// <summary>A client that finds the gateways of the cluster's silos in the Redis membership table.</summary>
    public static IClientBuilder UseAtlasRedisClustering(this IClientBuilder client, string redis, string clusterId)
    {
        var options = Parse(redis);
        client.UseRedisClustering(o => o.ConfigurationOptions = options);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = clusterId;
            o.ServiceId = clusterId;
        });
        return client;
    }

    private static ConfigurationOptions Parse(string redis)
    {
        try
        {
            var options = ConfigurationOptions.Parse(redis);
            options.AbortOnConnectFail = false;
            return options;
        }
        catch (ArgumentException exception)
        {
            throw new AtlasConfigurationException($"ConnectionStrings:Redis is not a valid Redis connection string: {exception.Message}", exception);
        }
    }
}
