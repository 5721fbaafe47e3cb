using Atlas.Actors;
using Atlas.Actors.Catalog;
using Atlas.Actors.Hosting;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Postgres;
using Atlas.Actors.Redis;
using Atlas.Actors.Reminders;
using Atlas.Grains.Hosting;
using Atlas.Infrastructure.GeoIndex;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Atlas.Silo.Hosting;

/// <summary>
/// Composes a silo process from configuration (appsettings.json, then <c>ATLAS_</c>-free environment variables such
/// as <c>Atlas__Silo__Port=11112</c> or <c>ConnectionStrings__Redis=…</c>, then command-line <c>--Atlas:Silo:Port 11112</c>).
/// </summary>
public static class SiloHostConfiguration
{
    /// <summary>Configuration sections, relative to the root.</summary>
    public const string Section = "Atlas";

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
        var clusterId = configuration[$"{Section}:ClusterId"] ?? "atlas";

        builder.Services.AddAtlasSilo(silo =>
        {
            silo.Services.AddOptions<SiloOptions>().Bind(configuration.GetSection($"{Section}:Silo")).Configure(o => o.ClusterId = clusterId);
            silo.Services.AddOptions<MembershipOptions>().Bind(configuration.GetSection($"{Section}:Membership"));
            silo.Services.AddOptions<MessagingOptions>().Bind(configuration.GetSection($"{Section}:Messaging"));
            silo.Services.AddOptions<GrainCollectionOptions>().Bind(configuration.GetSection($"{Section}:Collection"));
            silo.Services.AddOptions<ReminderOptions>().Bind(configuration.GetSection($"{Section}:Reminders"));
            silo.UseTcpTransport(o => configuration.GetSection($"{Section}:Tcp").Bind(o));
            silo.UseRedisClustering(redis, o => o.ClusterId = clusterId);
            silo.AddPostgresGrainStorageAsDefault(postgres, o => o.ServiceId = clusterId);
            silo.UsePostgresReminders(postgres, o => o.ServiceId = clusterId);
        });
        builder.Services.AddPostgresLedger(postgres, o => o.ServiceId = clusterId);
        builder.Services.AddRedisGeoIndex(redis, o => o.KeyPrefix = $"atlas:{clusterId}:geo:");
        // Rides publish their events and drivers their positions to Redis Streams; every silo runs a projector of them
        // into PostgreSQL (the consumer group shares the work), which serves ride history and platform figures.
        builder.Services.AddRedisRideEvents(redis, o => o.KeyPrefix = $"atlas:{clusterId}:");
        builder.Services.AddRideHistoryProjector(postgres, redis);
        builder.Services.AddAtlasGrains(configuration);
        return builder;
    }
}
