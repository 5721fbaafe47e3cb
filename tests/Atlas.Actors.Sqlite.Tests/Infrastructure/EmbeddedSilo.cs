using Atlas.Actors.Hosting;
using Atlas.Actors.Sqlite.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Actors.Sqlite.Tests.Infrastructure;

/// <summary>A single embedded silo whose grain state and reminders live in one SQLite file, as the one-process platform runs.</summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EmbeddedSilo(ServiceProvider services, Silo silo)
    {
        _services = services;
        Silo = silo;
    }

    public Silo Silo { get; }

    public IGrainFactory GrainFactory => Silo.GrainFactory;

    public IServiceProvider Services => _services;

    public static async Task<EmbeddedSilo> StartAsync(string databasePath, TickLog ticks)
    {
        var services = new ServiceCollection();
        services.AddSingleton(ticks);
        services.AddAtlasSiloWithoutHost(silo => silo
            .UseInMemoryClustering()
            .AddSqliteGrainStorageAsDefault(databasePath)
            .UseSqliteReminders(databasePath));
        var provider = services.BuildServiceProvider();
        var silo = provider.GetRequiredService<Silo>();
        try
        {
            await silo.StartAsync();
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
        return new EmbeddedSilo(provider, silo);
    }

    /// <summary>Stops the silo and closes the file (the service provider disposes the databases).</summary>
    public async ValueTask DisposeAsync()
    {
        await Silo.StopAsync();
        await _services.DisposeAsync();
    }
}
