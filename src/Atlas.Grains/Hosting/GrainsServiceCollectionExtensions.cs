using Atlas.Grains.Drivers;
using Atlas.Grains.Markets;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Idempotency;
using Atlas.Grains.LiveFeed;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.History;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Hosting;

/// <summary>Registers what the ride grains need on a silo.</summary>
public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// Options (bound from <paramref name="configuration"/> sections <c>Markets</c>, <c>Drivers</c>, <c>Dispatch</c>,
    /// <c>GeoIndex</c>, <c>Wallets</c>, <c>Idempotency</c>, <c>LiveFeed</c> when given), the market catalog, and in-memory ledger and index
    /// stores unless others are registered.
    /// </summary>
    public static IServiceCollection AddAtlasGrains(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var marketOptions = services.AddOptions<MarketOptions>();
        var driverOptions = services.AddOptions<DriverOptions>();
        var dispatchOptions = services.AddOptions<DispatchOptions>();
        var indexOptions = services.AddOptions<GeoIndexOptions>();
        var walletOptions = services.AddOptions<WalletOptions>();
        var idempotencyOptions = services.AddOptions<IdempotencyOptions>();
        var liveFeedOptions = services.AddOptions<LiveFeedOptions>();
        if (configuration is not null)
        {
            marketOptions.Bind(configuration.GetSection(MarketOptions.SectionName));
            driverOptions.Bind(configuration.GetSection(DriverOptions.SectionName));
            dispatchOptions.Bind(configuration.GetSection(DispatchOptions.SectionName));
            indexOptions.Bind(configuration.GetSection(GeoIndexOptions.SectionName));
            walletOptions.Bind(configuration.GetSection(WalletOptions.SectionName));
            idempotencyOptions.Bind(configuration.GetSection(IdempotencyOptions.SectionName));
            liveFeedOptions.Bind(configuration.GetSection(LiveFeedOptions.SectionName));
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MarketOptions>, MarketOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveFeedOptions>, LiveFeedOptionsValidator>());
        services.TryAddSingleton(sp => new MarketCatalog(sp.GetRequiredService<IOptions<MarketOptions>>().Value));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ILedgerStore, InMemoryLedgerStore>();
        services.TryAddSingleton<IGeoIndexStore, InMemoryGeoIndexStore>();
        services.TryAddSingleton<IRideHistoryProjection, NullRideHistoryProjection>();
        services.TryAddSingleton<LiveFeedRelay>();
        return services;
    }
}
