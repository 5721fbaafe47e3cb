using Atlas.Hosting.Clients;
using Atlas.Hosting.Clustering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>
/// A cluster of silo processes on the test PostgreSQL and Redis, and an Orleans client of it in the test process —
/// configured as the API in client mode is (<c>UseAtlasRedisClustering</c> + <c>AddAtlasClient</c>).
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];
    private readonly IReadOnlyDictionary<string, string>? _settings;

    private ProcessCluster(string clusterId, IReadOnlyDictionary<string, string>? settings)
    {
        ClusterId = clusterId;
        _settings = settings;
        Membership = new MembershipTable(clusterId);
    }

    public string ClusterId { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public MembershipTable Membership { get; }

    public ClusterClientHost Client { get; private set; } = null!;

    public IGrainFactory Grains => Client.Grains;

    /// <summary>Starts <paramref name="silos"/> silo processes of a new cluster id and connects a client to every one of them.</summary>
    public static async Task<ProcessCluster> StartAsync(int silos, IReadOnlyDictionary<string, string>? settings = null)
    {
        var cluster = new ProcessCluster($"it-{Guid.NewGuid():N}", settings);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                cluster._silos.Add(SiloProcess.Start(cluster.ClusterId, settings));
            }
            await Task.WhenAll(cluster._silos.Select(s => s.WaitUntilActiveAsync()));
            await cluster.WaitForActiveSilosAsync(silos);
            cluster.Client = await ClusterClientHost.StartAsync(cluster.ClusterId);
            await cluster.Client.WaitForGatewaysAsync(silos);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more silo of this cluster and waits until it is active.</summary>
    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = SiloProcess.Start(ClusterId, _settings);
        _silos.Add(silo);
        await silo.WaitUntilActiveAsync();
        return silo;
    }

    /// <summary>Waits until the membership table records exactly <paramref name="count"/> active silos.</summary>
    public Task WaitForActiveSilosAsync(int count, TimeSpan? timeout = null) =>
        Atlas.Testing.Servers.TestServices.UntilAsync(async () => (await Membership.ActivePortsAsync()).Count == count,
            $"{count} active silos in the membership table", timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>The silo process a grain reported as its host (<see cref="Atlas.Grains.Diagnostics.ProbeAnswer.Silo"/>).</summary>
    public SiloProcess ProcessOf(string siloAddress) => _silos.Single(s => s.Is(siloAddress));

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
    }
}

/// <summary>An Orleans client in the test process, as the API in client mode builds it, with its log kept.</summary>
public sealed class ClusterClientHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterClientHost(IHost host, GatewayCount gateways, TestLog log)
    {
        _host = host;
        Gateways = gateways;
        Log = log;
    }

    public IGrainFactory Grains => _host.Services.GetRequiredService<IClusterClient>();

    public IServiceProvider Services => _host.Services;

    /// <summary>How many gateways the client has open connections to.</summary>
    public GatewayCount Gateways { get; }

    public TestLog Log { get; }

    /// <summary>
    /// Starts a client of <paramref name="clusterId"/>; <paramref name="settings"/> override configuration keys
    /// (<c>Atlas:Messaging:ResponseTimeout</c>…) as the API's configuration would.
    /// </summary>
    public static async Task<ClusterClientHost> StartAsync(string clusterId, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var log = new TestLog();
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Information);
        var gateways = new GatewayCount();
        builder.UseOrleansClient(client => client
            .UseAtlasRedisClustering(TestEnvironment.Redis, clusterId)
            .AddAtlasClient(builder.Configuration)
            .AddClusterConnectionStatusObserver(gateways));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new ClusterClientHost(host, gateways, log);
    }

    /// <summary>
    /// Calls grains until the client holds a connection to <paramref name="count"/> gateways (a client connects to a
    /// gateway when a call needs one: grains are spread over the gateways by hash).
    /// </summary>
    public async Task WaitForGatewaysAsync(int count)
    {
        var probe = 0;
        await Atlas.Testing.Servers.TestServices.UntilAsync(async () =>
        {
            await Task.WhenAll(Enumerable.Range(probe, 16).Select(i => Grains.GetGrain<Atlas.Grains.Diagnostics.IProbeGrain>($"gateways-{i}").Ping(i)));
            probe += 16;
            return Gateways.Current >= count;
        }, $"the client to connect to {count} gateways", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
        }
        _host.Dispose();
    }
}

/// <summary>The number of gateways a client is connected to, as Orleans reports it.</summary>
/// <remarks>
/// Orleans reports each change as (new count, previous count) from the thread that opened or closed a connection, so
/// reports of connections opened at once may arrive out of order: the changes are summed rather than the last count kept.
/// </remarks>
public sealed class GatewayCount : IClusterConnectionStatusObserver
{
    private int _current;

    public int Current => Volatile.Read(ref _current);

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered) =>
        Interlocked.Add(ref _current, currentNumberOfGateways - previousNumberOfGateways);

    public void NotifyClusterConnectionLost()
    {
    }
}
