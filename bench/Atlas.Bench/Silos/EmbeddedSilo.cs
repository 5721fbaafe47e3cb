using Atlas.Actors;
using Atlas.Actors.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Bench.Silos;

/// <summary>
/// A single silo in this process (in-memory clustering and storage), as the local-call scenarios use it; scenarios
/// that need more (the ride grains, the PostgreSQL ledger, the Redis geo index) add it through <c>configure</c>.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EmbeddedSilo(ServiceProvider services, Silo silo)
    {
        _services = services;
        Silo = silo;
    }

    public Silo Silo { get; }

    public IGrainFactory Grains => Silo.GrainFactory;

    /// <summary>The silo's services (e.g. a store a scenario registered and wants to inspect).</summary>
    public IServiceProvider Services => _services;

    public static async Task<EmbeddedSilo> StartAsync(Action<ISiloBuilder>? configure = null)
    {
        var services = new ServiceCollection()
            .AddAtlasSiloWithoutHost(silo =>
            {
                silo.UseInMemoryClustering().AddMemoryGrainStorageAsDefault();
                configure?.Invoke(silo);
            })
            .BuildServiceProvider();
        var silo = services.GetRequiredService<Silo>();
        await silo.StartAsync();
        return new EmbeddedSilo(services, silo);
    }

    public async ValueTask DisposeAsync()
    {
        await Silo.StopAsync();
        await _services.DisposeAsync();
    }
}
