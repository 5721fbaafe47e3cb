using Atlas.Actors;
using Atlas.Actors.Client;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Redis;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>A cluster of silo processes on the test PostgreSQL and Redis, and a client of it in the test process.</summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];

    private ProcessCluster(string clusterId) => ClusterId = clusterId;

    public string ClusterId { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public ClusterClient Client { get; private set; } = null!;

    public IGrainFactory Grains => Client.GrainFactory;

    public static async Task<ProcessCluster> StartAsync(int silos, IReadOnlyDictionary<string, string>? settings = null)
    {
        var cluster = new ProcessCluster($"it-{Guid.NewGuid():N}");
        try
        {
            for (var i = 0; i < silos; i++)
            {
                cluster._silos.Add(SiloProcess.Start(cluster.ClusterId, SiloProcess.FreePort(), settings));
            }
            await Task.WhenAll(cluster._silos.Select(s => s.WaitUntilActiveAsync()));
            var client = new ClientOptions { ClusterId = cluster.ClusterId, ViewRefreshInterval = TimeSpan.FromSeconds(1) };
            cluster.Client = new ClusterClient(client, new MessagingOptions { ResponseTimeout = TimeSpan.FromSeconds(10) }, new SerializationOptions(),
                RedisMembershipTable.ForClient(client, TestEnvironment.Redis), new TcpTransport(new TcpTransportOptions(), NullLoggerFactory.Instance),
                NullLoggerFactory.Instance);
            await cluster.Client.ConnectAsync();
            await cluster.WaitForViewAsync(silos);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<SiloProcess> AddSiloAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var silo = SiloProcess.Start(ClusterId, SiloProcess.FreePort(), settings);
        _silos.Add(silo);
        await silo.WaitUntilActiveAsync();
        return silo;
    }

    /// <summary>Waits until the client routes by exactly <paramref name="silos"/> active silos.</summary>
    public async Task WaitForViewAsync(int silos, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (Client.View.ActiveSilos.Count != silos)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The client sees {Client.View} instead of {silos} silos.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>The silo process listening on the port of <paramref name="silo"/> (as grains report it: host:port@generation).</summary>
    public SiloProcess ProcessOf(string silo) =>
        _silos.Single(s => silo.Contains($":{s.Port}@", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
    }
}

/// <summary>All process tests run one at a time: they share the machine's two cores and the servers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}
