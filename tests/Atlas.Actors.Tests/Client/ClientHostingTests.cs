using Atlas.Actors.Client;
using Atlas.Actors.Hosting;
using Atlas.Actors.Membership;
using Atlas.Actors.Tests.Grains;
using Atlas.Actors.Tests.Messaging.Tcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Tests.Client;

/// <summary>A silo host and a client host, as separate processes would be, talking over TCP.</summary>
[Collection(SocketsCollection.Name)]
public sealed class ClientHostingTests : IAsyncLifetime
{
    private readonly InMemoryMembershipTable _membership = new();
    private readonly int _port = TcpPeers.FreePort();
    private IHost _siloHost = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(new TestProbe());
        builder.Services.AddAtlasSilo(silo =>
        {
            silo.Configure<SiloOptions>(o =>
            {
                o.ClusterId = "hosted";
                o.ListenAddress = "127.0.0.1";
                o.Port = _port;
            });
            silo.UseTcpTransport();
            silo.UseMembershipTable(_ => _membership);
            silo.AddMemoryGrainStorageAsDefault();
            silo.AddMemoryGrainStorage("Archive");
        });
        _siloHost = builder.Build();
        await _siloHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _siloHost.StopAsync();
        _siloHost.Dispose();
    }

    private IHost BuildClientHost(string clusterId = "hosted")
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAtlasClient(client =>
        {
            client.Configure<ClientOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ConnectTimeout = TimeSpan.FromSeconds(2);
            });
            client.UseTcpTransport();
            client.UseMembershipTable(_ => _membership);
        });
        return builder.Build();
    }

    [Fact]
    public async Task A_hosted_client_calls_grains_of_a_hosted_silo_over_TCP()
    {
        using var clientHost = BuildClientHost();
        await clientHost.StartAsync();

        var grains = clientHost.Services.GetRequiredService<IGrainFactory>();
        var counter = grains.GetGrain<ICounterGrain>(Guid.NewGuid().ToString("N"));

        Assert.Equal(1, await counter.Increment());
        Assert.Equal(1, await counter.Get());
        Assert.Same(clientHost.Services.GetRequiredService<ClusterClient>().GrainFactory, grains);
        await clientHost.StopAsync();
    }

    [Fact]
    public async Task The_silo_listens_on_its_configured_port_and_advertises_it()
    {
        var silo = _siloHost.Services.GetRequiredService<Silo>();

        Assert.Equal(_port, silo.Address.Port);
        Assert.Equal("127.0.0.1", silo.Address.Host);
        using var raw = await RawPeer.ConnectAsync(_port);
        Assert.Equal(Atlas.Actors.Messaging.Tcp.PreambleKind.Accepted, (await raw.HandshakeAsync("hosted", silo.Address)).Kind);
    }

    [Fact]
    public async Task Stopping_the_client_host_disposes_the_client()
    {
        using var clientHost = BuildClientHost();
        await clientHost.StartAsync();
        var grains = clientHost.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<ICounterGrain>("before-stop").Get();

        await clientHost.StopAsync();

        await Assert.ThrowsAsync<SiloUnavailableException>(() => grains.GetGrain<ICounterGrain>("after-stop").Get());
    }

    [Fact]
    public async Task Calls_from_a_client_of_another_cluster_are_refused_by_the_silo()
    {
        using var clientHost = BuildClientHost("elsewhere");
        await clientHost.StartAsync();
        var grains = clientHost.Services.GetRequiredService<IGrainFactory>();

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => grains.GetGrain<ICounterGrain>("stranger").Get());

        Assert.Contains("cluster id 'elsewhere' does not match this silo's cluster 'hosted'", error.Message);
        await clientHost.StopAsync();
    }
}
