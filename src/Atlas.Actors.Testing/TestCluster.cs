using System.Net;
using System.Net.Sockets;
using Atlas.Actors.Client;
using Atlas.Actors.Hosting;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Testing;

/// <summary>One silo of a <see cref="TestCluster"/>.</summary>
public sealed class SiloHandle
{
    internal SiloHandle(int port, Silo silo, ServiceProvider services)
    {
        Port = port;
        Silo = silo;
        Services = services;
    }

    public int Port { get; }
    public Silo Silo { get; }
    public SiloAddress Address => Silo.Address;
    public IServiceProvider Services { get; }
    internal ServiceProvider OwnedServices => (ServiceProvider)Services;

    public override string ToString() => Address.ToString();
}

/// <summary>
/// Several silos in one process, with in-memory membership (or the builder's table), storage and reminders shared
/// between them (as a database would be), over an in-memory transport that serializes every message that crosses a
/// silo boundary (or over real TCP sockets on loopback: <see cref="TestClusterBuilder.UseTcpTransport"/>).
/// Failure detection is shortened so that a killed silo is declared dead in well under a second.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterBuilder _builder;
    private readonly List<SiloHandle> _silos = [];
    private ClusterClient? _client;
    private int _nextPort = 11111;

    internal TestCluster(TestClusterBuilder builder)
    {
        _builder = builder;
        MembershipTable = builder.MembershipTable ?? new InMemoryMembershipTable();
    }

    public InMemoryNetwork Network { get; } = new();

    /// <summary>The table the silos and the client share (in memory unless the builder was given another).</summary>
    public IMembershipTable MembershipTable { get; }
    public MemoryStorageStore Storage { get; } = new();
    public InMemoryReminderTable Reminders { get; } = new();

    /// <summary>The silos currently running, in start order.</summary>
    public IReadOnlyList<SiloHandle> Silos
    {
        get
        {
            lock (_silos)
            {
                return _silos.ToArray();
            }
        }
    }

    public SiloHandle Primary => Silos[0];

    /// <summary>An external client of the cluster (as the HTTP front-end would be).</summary>
    public ClusterClient Client => _client ?? throw new InvalidOperationException("Deploy the cluster first.");

    public IGrainFactory GrainFactory => Client.GrainFactory;

    public async Task DeployAsync()
    {
        for (var i = 0; i < _builder.InitialSilosCount; i++)
        {
            await StartNewSiloAsync();
        }
        _client = new ClusterClient(
            new ClientOptions { ClusterId = _builder.ClusterId, ViewRefreshInterval = TimeSpan.FromMilliseconds(200) },
            new MessagingOptions { ResponseTimeout = _builder.ResponseTimeout },
            new SerializationOptions(),
            MembershipTable,
            _builder.ConfigureTcp is { } tcp ? new TcpTransport(Configured(tcp), _builder.LoggerFactory) : new InMemoryTransport(Network),
            _builder.LoggerFactory);
        await _client.ConnectAsync();
        await WaitForLivenessToStabilizeAsync();
    }

    public Task<SiloHandle> StartAdditionalSiloAsync() => StartNewSiloAsync();

    /// <summary>Starts a silo on a new port: the next in-memory endpoint, or a free loopback port over TCP.</summary>
    private async Task<SiloHandle> StartNewSiloAsync()
    {
        if (_builder.ConfigureTcp is null)
        {
            return await StartSiloAsync(Interlocked.Increment(ref _nextPort) - 1);
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartSiloAsync(FreeLoopbackPort());
            }
            catch (AtlasConfigurationException exception) when (attempt < 5 &&
                exception.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                // Another process took the port between probing and binding: pick another.
            }
        }
    }

    private static TcpTransportOptions Configured(Action<TcpTransportOptions> configure)
    {
        var options = new TcpTransportOptions();
        configure(options);
        return options;
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task<SiloHandle> StartSiloAsync(int port)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_builder.LoggerFactory);
        services.AddAtlasSiloWithoutHost(silo =>
        {
            silo.Configure<SiloOptions>(o =>
            {
                o.ClusterId = _builder.ClusterId;
                o.Port = port;
                o.SiloName = $"silo-{port}";
            });
            silo.Configure<MembershipOptions>(o =>
            {
                // A killed silo refuses connections at once, so it is found within a few probe intervals; a
                // generous timeout and two votes keep a silo that is merely slow (a loaded machine) alive.
                o.ProbeInterval = TimeSpan.FromMilliseconds(150);
                o.ProbeTimeout = TimeSpan.FromSeconds(3);
                o.MissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 2;
                o.TableRefreshInterval = TimeSpan.FromMilliseconds(200);
                o.IAmAliveInterval = TimeSpan.FromSeconds(1);
            });
            silo.Configure<MessagingOptions>(o => o.ResponseTimeout = _builder.ResponseTimeout);
            silo.UseTransport(_ => new InMemoryTransport(Network));
            // Registered as an instance, not through a factory: the cluster's table outlives every silo's container.
            silo.Services.RemoveAll<IMembershipTable>();
            silo.Services.AddSingleton(MembershipTable);
            if (_builder.ConfigureTcp is { } tcp)
            {
                silo.Configure<SiloOptions>(o =>
                {
                    o.ListenAddress = "127.0.0.1";
                    o.AdvertisedHost = "127.0.0.1";
                });
                silo.UseTcpTransport(tcp);
            }
            silo.UseInMemoryReminders(Reminders);
            silo.AddMemoryGrainStorageAsDefault(Storage);
            foreach (var configure in _builder.SiloConfigurations)
            {
                configure(silo);
            }
        });
        var provider = services.BuildServiceProvider();
        var instance = provider.GetRequiredService<Silo>();
        try
        {
            await instance.StartAsync();
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
        var handle = new SiloHandle(port, instance, provider);
        lock (_silos)
        {
            _silos.Add(handle);
        }
        return handle;
    }

    /// <summary>Kills a silo: its activations vanish without deactivating, the others detect the failure.</summary>
    public async Task KillSiloAsync(SiloHandle silo)
    {
        Remove(silo);
        await silo.Silo.KillAsync();
        await silo.OwnedServices.DisposeAsync();
    }

    /// <summary>Stops a silo gracefully: activations deactivate, calls are rerouted.</summary>
    public async Task StopSiloAsync(SiloHandle silo)
    {
        Remove(silo);
        await silo.Silo.StopAsync();
        await silo.OwnedServices.DisposeAsync();
    }

    /// <summary>Stops a silo gracefully and starts a new generation of it on the same endpoint.</summary>
    public async Task<SiloHandle> RestartSiloAsync(SiloHandle silo)
    {
        await StopSiloAsync(silo);
        return await StartSiloAsync(silo.Port);
    }

    /// <summary>The running silo that owns <paramref name="grainId"/> in the client's view.</summary>
    public SiloHandle OwnerOf(GrainId grainId)
    {
        var owner = Client.View.ActiveSilos.Count == 0 ? null : Silos[0].Silo.OwnerOf(grainId);
        return Silos.FirstOrDefault(s => s.Address == owner) ?? throw new InvalidOperationException($"No running silo owns {grainId}.");
    }

    /// <summary>Waits until every silo and the client route by the same set of active silos.</summary>
    public async Task WaitForLivenessToStabilizeAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var expected = Silos.Select(s => s.Address).OrderBy(a => a.ToString()).ToArray();
            var views = Silos.Select(s => s.Silo.View.ActiveSilos).Append(_client?.View.ActiveSilos ?? expected);
            if (views.All(v => v.OrderBy(a => a.ToString()).SequenceEqual(expected)))
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                var seen = Silos.Select(s => $"{s.Address} sees {s.Silo.View}").Append($"client sees {_client?.View}");
                throw new TimeoutException($"The cluster did not agree on its silos ({string.Join(", ", expected)}) in time: {string.Join("; ", seen)}.");
            }
            await Task.Delay(20);
        }
    }

    private void Remove(SiloHandle silo)
    {
        lock (_silos)
        {
            _silos.Remove(silo);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        foreach (var silo in Silos.Reverse())
        {
            await KillSiloAsync(silo);
        }
    }
}

/// <summary>Builds a <see cref="TestCluster"/> (two silos by default).</summary>
public sealed class TestClusterBuilder(int initialSilosCount = 2)
{
    internal List<Action<ISiloBuilder>> SiloConfigurations { get; } = [];

    public int InitialSilosCount { get; } = initialSilosCount;

    public string ClusterId { get; set; } = "test";

    /// <summary>
    /// The membership table of the silos and the client (default: a new in-memory table). Set it to run the cluster on
    /// a durable table; the cluster does not dispose it.
    /// </summary>
    public IMembershipTable? MembershipTable { get; set; }

    /// <summary>The call timeout of silos and client (default 30 s).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public ILoggerFactory LoggerFactory { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>Set by <see cref="UseTcpTransport"/>: configures every silo's and the client's TCP transport.</summary>
    internal Action<TcpTransportOptions>? ConfigureTcp { get; private set; }

    /// <summary>
    /// Silos listen on free loopback ports and talk to each other, and the client to them, over real TCP sockets
    /// (instead of the in-memory transport).
    /// </summary>
    public TestClusterBuilder UseTcpTransport(Action<TcpTransportOptions>? configure = null)
    {
        ConfigureTcp = configure ?? (_ => { });
        return this;
    }

    /// <summary>Adds configuration applied to every silo (storage, options, services for grains).</summary>
    public TestClusterBuilder ConfigureSilo(Action<ISiloBuilder> configure)
    {
        SiloConfigurations.Add(configure);
        return this;
    }

    public TestCluster Build() => new(this);
}
