using Atlas.Hosting.Clustering;
using Atlas.Hosting.Silos;
using Atlas.Hosting.Telemetry;
using Atlas.Infrastructure;
using Atlas.Infrastructure.GeoIndex;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Atlas.Silo.Hosting;

/// <summary>
/// Composes a silo process from configuration (appsettings.json, then environment variables such as
/// <c>Atlas__Silo__Port=11112</c> or <c>ConnectionStrings__Redis=…</c>, then command-line <c>--Atlas:Silo:Port 11112</c>).
/// </summary>
public static class SiloHostConfiguration
{
    public static HostApplicationBuilder AddAtlasSiloHost(this HostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var redis = configuration.GetConnectionString("Redis");
        var postgres = configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(redis) || string.IsNullOrWhiteSpace(postgres))
        {
            throw new AtlasConfigurationException(
                "A silo process needs ConnectionStrings:Redis (membership) and ConnectionStrings:Postgres (grain state, reminders): " +
                "set them in appsettings.json or as ConnectionStrings__Redis / ConnectionStrings__Postgres. " +
                "For one process with no servers, run the platform with `dotnet run --project src/Atlas.Api` instead.");
        }
        var clusterId = configuration["Atlas:ClusterId"] ?? "atlas";

        builder.AddAtlasTelemetry("atlas-silo");
        builder.UseOrleans(silo =>
        {
            silo.UseAtlasRedisClustering(redis, clusterId);
            silo.AddAtlasEndpoints(configuration, clusterId);
            silo.AddAtlasSilo(configuration);
            silo.UseAtlasPostgresStorage(postgres, clusterId);
            silo.Services.AddRedisGeoIndex(redis, o => o.KeyPrefix = $"atlas:{clusterId}:geo:");
            // Rides publish their events and drivers their positions to Redis Streams; every silo runs a projector of them
            // into PostgreSQL (the consumer group shares the work), which serves ride history and platform figures.
            silo.Services.AddRedisRideEvents(redis, o => o.KeyPrefix = $"atlas:{clusterId}:");
            silo.Services.AddRideHistoryProjector(postgres, redis);
        });
        return builder;
    }
}
