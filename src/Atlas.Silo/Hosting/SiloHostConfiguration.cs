using Atlas.Hosting.Clustering;
using Atlas.Hosting.Silos;
using Atlas.Hosting.Telemetry;
using Atlas.Infrastructure.GeoIndex;
using Atlas.Infrastructure.History;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Dashboard;

namespace Atlas.Silo.Hosting;

/// <summary>
/// Composes a silo process from configuration (appsettings.json, then environment variables such as
/// <c>Atlas__Silo__Port=11112</c> or <c>ConnectionStrings__Redis=…</c>, then command-line <c>--Atlas:Silo:Port 11112</c>):
/// membership in Redis, grain state, reminders and the ledger in PostgreSQL, the geo index and ride events on Redis.
/// </summary>
public static class SiloHostConfiguration
{
    /// <summary>
    /// How long a graceful stop (SIGTERM) may take: grains deactivate and write, the silo's gateway tells its clients to
    /// go elsewhere, membership records ShuttingDown then Dead (default 30 s, <c>Atlas:Silo:ShutdownTimeout</c>).
    /// </summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    public static HostApplicationBuilder AddAtlasSiloHost(this HostApplicationBuilder builder, SiloHostSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = builder.Configuration;
        var clusterId = settings.ClusterId;

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout =
            configuration.GetValue($"{SiloEndpointOptions.SectionName}:ShutdownTimeout", DefaultShutdownTimeout));

        builder.AddAtlasTelemetry("atlas-silo");
        builder.UseOrleans(silo =>
        {
            silo.UseAtlasRedisClustering(settings.Redis, clusterId);
            silo.AddAtlasEndpoints(configuration, clusterId);
            silo.AddAtlasSilo(configuration);
            // The dashboard's side in the cluster: the API (client mode) serves its page at /admin/orleans.
            silo.AddDashboard(o => configuration.GetSection("Atlas:Dashboard").Bind(o));
            silo.UseAtlasPostgresStorage(settings.Postgres, clusterId);
            silo.Services.AddRedisGeoIndex(settings.Redis, o => o.KeyPrefix = $"atlas:{clusterId}:geo:");
            // Ride events and positions flow on the platform's stream provider (AddAtlasSilo: Redis Streams here, Event
            // Hubs when ConnectionStrings:EventHubs is set); their consumers project them into PostgreSQL.
            silo.Services.AddPostgresRideHistory(settings.Postgres);
        });
        builder.Services.AddHostedService<SiloLifecycleLog>();
        return builder;
    }
}
