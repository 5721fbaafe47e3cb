using Atlas.Bench.Children;
using Atlas.Bench.Silos;
using Atlas.Hosting.Clustering;
using Atlas.Hosting.Silos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// The hidden <c>remote-silo --port P --gateway G --cluster C --redis R</c> sub-command: one Orleans silo configured as
/// Atlas's silo processes are (<c>AddAtlasSilo</c>, <c>UseAtlasRedisClustering</c>, <c>AddAtlasEndpoints</c>) with memory
/// storage, silo port P and gateway port G on 127.0.0.1, hosting <see cref="RemoteBenchGrain"/>. Prints <c>ready</c>
/// once it is active in the cluster; leaves the cluster and exits when its standard input closes or on SIGTERM.
/// </summary>
public static class RemoteSiloChild
{
    public const string Command = "remote-silo";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = new ChildArguments(args);
        var port = options.Int("port");
        var gateway = options.Int("gateway");
        var cluster = options.String("cluster");
        var redis = options.String("redis");
        using var lifetime = new ChildLifetime();

        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{SiloEndpointOptions.SectionName}:Port"] = Text(port),
            [$"{SiloEndpointOptions.SectionName}:GatewayPort"] = Text(gateway),
            [$"{SiloEndpointOptions.SectionName}:ListenAddress"] = "127.0.0.1",
            [$"{SiloEndpointOptions.SectionName}:AdvertisedHost"] = "127.0.0.1",
            // The benchmark saturates a shared machine: a generous probe timeout, so that a busy silo is not voted dead
            // in the middle of a run (Atlas's defaults, 1–1.5 s, are tuned for fast failure detection, not for this).
            // Orleans requires MinProbeTimeout <= ProbeTimeout <= MaxProbeTimeout.
            ["Atlas:Membership:ProbeTimeout"] = "00:00:05",
            ["Atlas:Membership:MaxProbeTimeout"] = "00:00:05",
        });
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            Configuration = configuration,
        });
        BenchLogging.Configure(builder.Logging);
        builder.Services.AddSingleton(new BenchSiloInfo(port));
        builder.UseOrleans(silo =>
        {
            silo.UseAtlasRedisClustering(redis, cluster);
            silo.AddAtlasEndpoints(configuration, cluster);
            silo.AddAtlasSilo(configuration);
            silo.UseAtlasMemoryStorage();
        });
        using var host = builder.Build();
        await host.StartAsync(lifetime.Stopping);
        ChildLifetime.SignalReady();

        await lifetime.WaitAsync();
        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await host.StopAsync(stopTimeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Not out in time: the process ends anyway, and the others will declare this silo dead.
        }
        return 0;
    }

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
