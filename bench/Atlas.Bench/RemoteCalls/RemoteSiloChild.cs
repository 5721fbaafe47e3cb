using Atlas.Actors.Hosting;
using Atlas.Actors.Membership;
using Atlas.Actors.Redis;
using Atlas.Bench.Children;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// The hidden <c>remote-silo --port P --cluster C --redis R</c> sub-command: one silo over TCP on 127.0.0.1:P with
/// Redis membership and memory storage, hosting <see cref="RemoteBenchGrain"/>. Prints <c>ready</c> once active;
/// leaves the cluster and exits when its standard input closes or on SIGTERM.
/// </summary>
public static class RemoteSiloChild
{
    public const string Command = "remote-silo";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = new ChildArguments(args);
        var port = options.Int("port");
        var cluster = options.String("cluster");
        var redis = options.String("redis");
        using var lifetime = new ChildLifetime();

        await using var services = new ServiceCollection()
            .AddSingleton(new BenchSiloInfo(port))
            .Configure<SiloOptions>(o =>
            {
                o.ClusterId = cluster;
                o.Port = port;
                o.ListenAddress = "127.0.0.1";
                o.AdvertisedHost = "127.0.0.1";
            })
            // The machine is shared and the benchmark saturates it: a generous probe timeout (as TestCluster uses) so
            // that a busy silo is not voted dead in the middle of a run.
            .Configure<MembershipOptions>(o => o.ProbeTimeout = TimeSpan.FromSeconds(3))
            .AddAtlasSiloWithoutHost(silo => silo
                .UseTcpTransport()
                .UseRedisClustering(redis, o => o.ClusterId = cluster)
                .AddMemoryGrainStorageAsDefault())
            .BuildServiceProvider();
        var silo = services.GetRequiredService<Silo>();
        await silo.StartAsync(lifetime.Stopping);
        ChildLifetime.SignalReady();

        await lifetime.WaitAsync();
        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await silo.StopAsync(stopTimeout.Token);
        }
        catch (OperationCanceledException)
        {
            await silo.KillAsync();
        }
        return 0;
    }
}
