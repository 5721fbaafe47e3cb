using Atlas.Infrastructure.Postgres;
using Atlas.Grains.Rides.History;
using Atlas.Infrastructure.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Atlas.Infrastructure.History;

/// <summary>Registration of the ride history: its projector (a hosted service) and its reader.</summary>
public static class HistoryServiceCollectionExtensions
{
    /// <summary>The options name of the ride history's PostgreSQL connection settings.</summary>
    public const string PostgresOptionsName = "Atlas.History";

    /// <summary>
    /// Runs the ride history projector in this host (<see cref="RideHistoryProjector"/>, an <see cref="IHostedService"/>):
    /// it consumes the ride and position streams in Redis (<paramref name="redis"/>; the process's
    /// <see cref="StackExchange.Redis.IConnectionMultiplexer"/> if one is registered) with consumer group
    /// <c>projector</c> and writes PostgreSQL (<paramref name="postgres"/>, on the pool the silo's PostgreSQL providers
    /// use for the same connection string). The stream layout is <see cref="RideStreamOptions"/>, shared with
    /// <c>AddRedisRideEvents</c>. The consumer name is the silo's (Orleans' <c>SiloOptions.SiloName</c>) when the host
    /// runs a silo, unless <see cref="RideHistoryProjectorOptions.ConsumerName"/> is set.
    /// </summary>
    public static IServiceCollection AddRideHistoryProjector(this IServiceCollection services, string postgres, string redis,
        Action<RideHistoryProjectorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(postgres);
        ArgumentException.ThrowIfNullOrWhiteSpace(redis);
        services.AddHistoryPostgres(postgres);
        services.AddOptions<RideStreamOptions>();
        var options = services.AddOptions<RideHistoryProjectorOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.AddRedisStreamConnections();
        services.TryAddSingleton(sp =>
        {
            var projector = sp.GetRequiredService<IOptions<RideHistoryProjectorOptions>>().Value;
            projector.ConsumerName ??= SiloName(sp);
            return new RideHistoryProjector(sp.StreamConnection(redis), sp.HistoryDataSource(), sp.StreamOptions(), projector,
                sp.GetService<ILoggerFactory>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<RideHistoryProjector>());
        return services;
    }

    /// <summary>
    /// The ride history read model (<see cref="IRideHistoryReader"/>) on PostgreSQL, on the pool the silo's PostgreSQL
    /// providers use for the same connection string. Replaces any reader registered before.
    /// </summary>
    public static IServiceCollection AddPostgresRideHistory(this IServiceCollection services, string postgres)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(postgres);
        services.AddHistoryPostgres(postgres);
        services.RemoveAll<IRideHistoryReader>();
        services.AddSingleton<IRideHistoryReader>(sp => new PostgresRideHistoryReader(sp.HistoryDataSource(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<PostgresRideHistoryReader>()));
        return services;
    }

    private static void AddHistoryPostgres(this IServiceCollection services, string postgres)
    {
        services.TryAddSingleton<PostgresDataSources>();
        services.AddSerializableExceptions(ExceptionSerialization.Npgsql);
        services.AddOptions<PostgresStorageOptions>(PostgresOptionsName).Configure(o => o.ConnectionString = postgres);
    }

    private static Npgsql.NpgsqlDataSource HistoryDataSource(this IServiceProvider services) =>
        services.GetRequiredService<PostgresDataSources>().Get(services.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(PostgresOptionsName));

    /// <summary>
    /// The silo's name when this host runs an Orleans silo, else null: silos of one process (the test clusters) then
    /// consume as different consumers, and a silo given a stable name keeps it across restarts.
    /// </summary>
    private static string? SiloName(IServiceProvider services) =>
        services.GetService<IServiceProviderIsService>()?.IsService(typeof(ILocalSiloDetails)) == true
            ? services.GetRequiredService<ILocalSiloDetails>().Name
            : null;
}
