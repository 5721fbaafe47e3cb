using Atlas.Bench.Children;
using Atlas.Hosting.CallChains;
using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Atlas.Bench.Silos;

/// <summary>
/// One Orleans silo in this process, configured as every Atlas silo is (<c>AddAtlasSilo</c>, memory storage), on
/// localhost clustering with free ports; grains are called through the silo's own client, as Atlas.Api's embedded
/// silo is. Scenarios that need more (the PostgreSQL ledger, the Redis geo index) add it through <c>configure</c>.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedSilo(IHost host, int siloPort)
    {
        _host = host;
        SiloPort = siloPort;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
    }

    /// <summary>The grain factory of the silo's hosted client (calls from outside any grain, as the API makes them).</summary>
    public IGrainFactory Grains { get; }

    /// <summary>The silo's services (e.g. a store a scenario registered and wants to inspect).</summary>
    public IServiceProvider Services => _host.Services;

    public int SiloPort { get; }

    /// <summary>Starts a silo: <c>AddAtlasSilo</c> + <c>UseAtlasMemoryStorage</c>, then <paramref name="configure"/>, then <paramref name="filters"/>.</summary>
    public static async Task<EmbeddedSilo> StartAsync(Action<ISiloBuilder>? configure = null, SiloFilters filters = SiloFilters.Atlas,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var siloPort = BenchChild.FreePort();
        var gatewayPort = BenchChild.FreePort();
        var cluster = $"bench-{Guid.NewGuid():N}"[..16];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            Configuration = new ConfigurationManager(),
        });
        BenchLogging.Configure(builder.Logging);
        // Settings the silo binds as production binds appsettings.json (e.g. ConnectionStrings:Redis picks the Redis stream provider).
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: cluster, clusterId: cluster);
            silo.AddAtlasSilo(builder.Configuration);
            silo.UseAtlasMemoryStorage();
            configure?.Invoke(silo);
            RemoveFilters(silo.Services, filters);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new EmbeddedSilo(host, siloPort);
    }

    /// <summary>
    /// Takes grain call filters out of what <c>AddAtlasSilo</c> registered, to measure what they cost. Only the
    /// registrations go; the rest of the configuration is AddAtlasSilo's own. Fails if the registrations are not found
    /// (so a change to AddAtlasSilo cannot silently make "off" measure "on").
    /// </summary>
    private static void RemoveFilters(IServiceCollection services, SiloFilters filters)
    {
        if (filters == SiloFilters.Atlas)
        {
            return;
        }
        var callChains = typeof(CallChain).Namespace;
        var removed = services.Where(d =>
                (d.ServiceType == typeof(IIncomingGrainCallFilter) || d.ServiceType == typeof(IOutgoingGrainCallFilter)) &&
                (filters == SiloFilters.None || d.ImplementationType?.Namespace == callChains))
            .ToList();
        var callChainFilters = removed.Count(d => d.ImplementationType?.Namespace == callChains);
        if (callChainFilters != 2)
        {
            throw new InvalidOperationException($"Expected AddAtlasSilo to register 2 call-chain filters (incoming, outgoing), found {callChainFilters}.");
        }
        foreach (var descriptor in removed)
        {
            services.Remove(descriptor);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // A silo that does not stop in time is abandoned with its host; the scenario is over.
        }
        _host.Dispose();
    }
}

/// <summary>Which grain call filters a benchmark silo runs.</summary>
public enum SiloFilters
{
    /// <summary>Everything <c>AddAtlasSilo</c> registers, as production runs: call-chain (cycle) filters and activity propagation.</summary>
    Atlas,

    /// <summary><c>AddAtlasSilo</c> without its two call-chain filters (activity propagation's filters stay).</summary>
    WithoutCallChains,

    /// <summary><c>AddAtlasSilo</c> without any grain call filter: Orleans invokes grains directly, with no filter pipeline.</summary>
    None,
}
