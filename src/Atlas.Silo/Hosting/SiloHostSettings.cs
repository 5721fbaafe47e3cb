using Atlas.Hosting.Silos;
using Atlas.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Atlas.Silo.Hosting;

/// <summary>
/// What a silo process cannot start without, read once from configuration and checked before anything starts: the Redis
/// of the membership table, the PostgreSQL of grain state, reminders and the ledger, the cluster id and the silo's
/// endpoints. A missing or malformed value is an <see cref="AtlasConfigurationException"/> whose message says which
/// setting and how to set it.
/// </summary>
public sealed record SiloHostSettings(string Redis, string Postgres, string ClusterId, SiloEndpointOptions Endpoints)
{
    public const string RedisConnectionName = "Redis";
    public const string PostgresConnectionName = "Postgres";
    public const string ClusterIdKey = "Atlas:ClusterId";
    public const string DefaultClusterId = "atlas";

    /// <summary>Reads and validates the settings; throws <see cref="AtlasConfigurationException"/> naming the first bad one.</summary>
    public static SiloHostSettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var redis = Required(configuration, RedisConnectionName, "the cluster membership table", "127.0.0.1:6379");
        var postgres = Required(configuration, PostgresConnectionName, "grain state, reminders and the ledger",
            "\"Host=127.0.0.1;Username=postgres;Password=…;Database=atlas\"");
        ValidateRedis(redis);
        ValidatePostgres(postgres);

        var clusterId = configuration[ClusterIdKey];
        if (clusterId is not null && string.IsNullOrWhiteSpace(clusterId))
        {
            throw new AtlasConfigurationException(
                $"{ClusterIdKey} is empty: set the cluster's id (default '{DefaultClusterId}'), e.g. Atlas__ClusterId=atlas, the same on every silo and on the API.");
        }

        var endpoints = new SiloEndpointOptions();
        try
        {
            configuration.GetSection(SiloEndpointOptions.SectionName).Bind(endpoints);
        }
        catch (InvalidOperationException exception)
        {
            throw new AtlasConfigurationException($"{SiloEndpointOptions.SectionName} has a value of the wrong type: {exception.Message}", exception);
        }
        // Resolves the addresses and checks the ports now, not when Orleans first reads its options.
        endpoints.ApplyTo(new EndpointOptions());
        return new SiloHostSettings(redis, postgres, clusterId ?? DefaultClusterId, endpoints);
    }

    /// <summary>Where the Redis connection string points, for messages (no password).</summary>
    public string RedisEndpoints => string.Join(",", ConfigurationOptions.Parse(Redis).EndPoints.Select(e => e.ToString()));

    /// <summary>Where the PostgreSQL connection string points, for messages (no password).</summary>
    public string PostgresEndpoint
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder(Postgres);
            return $"{builder.Host}:{builder.Port}/{builder.Database}";
        }
    }

    private static string Required(IConfiguration configuration, string name, string purpose, string example)
    {
        var value = configuration.GetConnectionString(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new AtlasConfigurationException(
                $"ConnectionStrings:{name} is not set: a silo keeps {purpose} there. Set the environment variable " +
                $"ConnectionStrings__{name}={example}, pass --ConnectionStrings:{name} on the command line, or put it in appsettings.json.")
            : value;
    }

    private static void ValidateRedis(string redis)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(redis);
        }
        catch (ArgumentException exception)
        {
            throw new AtlasConfigurationException(
                $"ConnectionStrings:{RedisConnectionName} is not a valid StackExchange.Redis configuration string ({exception.Message}); " +
                "expected host:port[,password=…], e.g. ConnectionStrings__Redis=127.0.0.1:6379.", exception);
        }
        if (options.EndPoints.Count == 0)
        {
            throw new AtlasConfigurationException(
                $"ConnectionStrings:{RedisConnectionName} names no server; expected host:port[,password=…], e.g. ConnectionStrings__Redis=127.0.0.1:6379.");
        }
    }

    private static void ValidatePostgres(string postgres)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(postgres);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException)
        {
            throw new AtlasConfigurationException(
                $"ConnectionStrings:{PostgresConnectionName} is not a valid Npgsql connection string ({exception.Message}); " +
                "expected e.g. ConnectionStrings__Postgres=\"Host=127.0.0.1;Username=postgres;Password=…;Database=atlas\".", exception);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new AtlasConfigurationException(
                $"ConnectionStrings:{PostgresConnectionName} names no Host; expected e.g. \"Host=127.0.0.1;Username=postgres;Password=…;Database=atlas\".");
        }
    }
}
