using Atlas.Api.Admin;
using Atlas.Grains.Hosting;
using Atlas.Hosting.Clients;
using Atlas.Hosting.Clustering;
using Atlas.Hosting.Silos;
using Atlas.Infrastructure;
using Atlas.Infrastructure.GeoIndex;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Sqlite;
using Orleans.Dashboard;

namespace Atlas.Api.Hosting;

/// <summary>
/// Where the grains run and what they store on, chosen by configuration — the one place that wires the platform:
/// <c>Atlas:Mode</c> (<c>embedded</c> | <c>client</c>), <c>Atlas:DataPath</c>, <c>Atlas:ClusterId</c>,
/// <c>ConnectionStrings:Postgres</c>, <c>ConnectionStrings:Redis</c>; the embedded silo's ports <c>Atlas:Silo</c> (silo
/// port 11111, no gateway) and its SQLite file's settings <c>Atlas:Sqlite</c>.
/// </summary>
public static class PlatformComposition
{
    public const string PostgresConnectionName = "Postgres";
    public const string RedisConnectionName = "Redis";

    /// <summary>The embedded platform's SQLite settings (<see cref="SqliteOptions"/>).</summary>
    public const string SqliteSectionName = "Atlas:Sqlite";

    /// <summary>The embedded platform's database file, under <see cref="PlatformOptions.DataPath"/>.</summary>
    public const string DatabaseFileName = "atlas.db";

    public static WebApplicationBuilder AddAtlasPlatform(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<PlatformOptions>().BindConfiguration(PlatformOptions.SectionName);
        var options = configuration.GetSection(PlatformOptions.SectionName).Get<PlatformOptions>() ?? new PlatformOptions();
        var plan = PlatformPlan.From(options, configuration.GetConnectionString(PostgresConnectionName), configuration.GetConnectionString(RedisConnectionName));
        builder.Services.AddSingleton(plan);

        switch (plan.Mode)
        {
            case PlatformMode.Embedded:
                AddEmbeddedSilo(builder, plan);
                break;
            case PlatformMode.Client:
                AddClusterClient(builder, plan);
                break;
            default:
                throw new AtlasConfigurationException($"Atlas:Mode must be 'embedded' or 'client', not '{plan.Mode}'.");
        }
        builder.Services.AddHostedService<PlatformStartupLog>();
        return builder;
    }

    /// <summary>A silo in this process with the ride grains: the whole platform in one process.</summary>
    private static void AddEmbeddedSilo(WebApplicationBuilder builder, PlatformPlan plan)
    {
        var configuration = builder.Configuration;
        builder.UseOrleans(silo =>
        {
            // One silo on this machine: localhost clustering; no gateway unless configured (the API is the silo's client).
            silo.UseLocalhostClustering(serviceId: plan.ClusterId, clusterId: plan.ClusterId);
            silo.AddAtlasEndpoints(configuration, plan.ClusterId, defaultGatewayPort: 0);
            silo.AddAtlasSilo(configuration);
            silo.AddDashboard(o => configuration.GetSection(OrleansDashboard.SectionName).Bind(o));
            if (plan.Storage == PlatformStorage.Postgres)
            {
                silo.UseAtlasPostgresStorage(plan.PostgresConnectionString!, plan.ClusterId);
                // The ride history: the stream consumers project ride events and positions into PostgreSQL, which
                // serves history pages and platform figures.
                silo.Services.AddPostgresRideHistory(plan.PostgresConnectionString!);
            }
            else
            {
                silo.UseAtlasSqliteStorage(plan.DatabasePath);
                // The ride history read model in the same file: history pages and platform figures answer here too.
                silo.Services.AddSqliteRideHistory(plan.DatabasePath);
                // The file's busy timeout and durability (Atlas:Sqlite:BusyTimeout, Atlas:Sqlite:Synchronous).
                silo.Services.AddOptions<SqliteOptions>().BindConfiguration(SqliteSectionName);
            }
            if (plan.RedisConnectionString is { } redis)
            {
                silo.Services.AddRedisGeoIndex(redis, o => o.KeyPrefix = $"atlas:{plan.ClusterId}:geo:");
            }
        });
    }

    /// <summary>A client of a cluster of silo processes: it finds the silos in the Redis membership table.</summary>
    private static void AddClusterClient(WebApplicationBuilder builder, PlatformPlan plan)
    {
        var redis = plan.RedisConnectionString ?? throw new AtlasConfigurationException(
            "Atlas:Mode=client needs ConnectionStrings:Redis, where the silos keep their membership table.");
        builder.UseOrleansClient(client => client.UseAtlasRedisClustering(redis, plan.ClusterId).AddAtlasClient(builder.Configuration)
            .AddDashboard(o => builder.Configuration.GetSection(OrleansDashboard.SectionName).Bind(o)));
        // The grains run on the silos; their options (bound from this configuration) are read by the admin routes.
        builder.Services.AddAtlasGrains(builder.Configuration);
        // The silos project ride events into PostgreSQL: with its connection string, history and figures come from there.
        if (plan.PostgresConnectionString is { } postgres)
        {
            builder.Services.AddPostgresRideHistory(postgres);
        }
    }
}

/// <summary>What the configuration asked for, resolved once.</summary>
public sealed record PlatformPlan(
    PlatformMode Mode, PlatformStorage Storage, string DataPath, string ClusterId, string? PostgresConnectionString, string? RedisConnectionString)
{
    public static PlatformPlan From(PlatformOptions options, string? postgres, string? redis)
    {
        var dataPath = Path.GetFullPath(string.IsNullOrWhiteSpace(options.DataPath) ? "./data" : options.DataPath);
        var storage = string.IsNullOrWhiteSpace(postgres) ? PlatformStorage.Embedded : PlatformStorage.Postgres;
        var clusterId = string.IsNullOrWhiteSpace(options.ClusterId) ? "atlas" : options.ClusterId;
        return new PlatformPlan(options.Mode, storage, dataPath, clusterId, NullIfBlank(postgres), NullIfBlank(redis));
    }

    /// <summary>The embedded platform's SQLite file.</summary>
    public string DatabasePath => Path.Combine(DataPath, PlatformComposition.DatabaseFileName);

    /// <summary>For logs and <c>/version</c>: what runs where, without secrets.</summary>
    public string Describe() => Mode switch
    {
        PlatformMode.Client => $"client of cluster '{ClusterId}' (silos found in Redis, called over TCP)",
        _ when Storage == PlatformStorage.Postgres && RedisConnectionString is not null =>
            "embedded silo; grain state, reminders, ledger and ride history on PostgreSQL; geo index and streams on Redis",
        _ when Storage == PlatformStorage.Postgres => "embedded silo; grain state, reminders and ledger on PostgreSQL; geo index in memory",
        _ => $"embedded silo; grain state, reminders, ledger and ride history in {DatabasePath}; geo index and streams in memory",
    };

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>What the grains store on.</summary>
public enum PlatformStorage
{
    /// <summary>A SQLite file under <see cref="PlatformOptions.DataPath"/>.</summary>
    Embedded,

    /// <summary>PostgreSQL from <c>ConnectionStrings:Postgres</c>.</summary>
    Postgres,
}

/// <summary>Says once at start-up what the platform runs on.</summary>
internal sealed partial class PlatformStartupLog(PlatformPlan plan, ILogger<PlatformStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogPlatform(plan.Describe());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Atlas platform: {Description}")]
    private partial void LogPlatform(string description);
}
