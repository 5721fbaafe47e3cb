using Atlas.Testing.Servers;
using Atlas.Grains.Rides.History;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Streams;
using Atlas.Infrastructure.Tests.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>
/// A projector process in miniature: a service provider with <c>AddRideHistoryProjector</c> and
/// <c>AddPostgresRideHistory</c> on the test servers, streams under a prefix of the test's own, started as a host
/// starts its hosted services.
/// </summary>
internal sealed class ProjectorHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private bool _stopped;

    private ProjectorHost(ServiceProvider services, CapturingLoggerProvider logs)
    {
        _services = services;
        Logs = logs;
    }

    public CapturingLoggerProvider Logs { get; }

    public RideHistoryProjector Projector => _services.GetRequiredService<RideHistoryProjector>();

    public IRideHistoryReader Reader => _services.GetRequiredService<IRideHistoryReader>();

    public static async Task<ProjectorHost> StartAsync(string prefix, string consumerName, Action<RideHistoryProjectorOptions>? configure = null, int partitions = 4)
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddRideHistoryProjector(TestPostgresServer.ConnectionString, TestRedis.ConnectionString, options =>
        {
            options.ConsumerName = consumerName;
            options.Consumer.PollInterval = TimeSpan.FromMilliseconds(20);
            options.Consumer.ClaimInterval = TimeSpan.FromMilliseconds(200);
            options.Consumer.MinBackoff = TimeSpan.FromMilliseconds(50);
            options.Consumer.MaxBackoff = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(options);
        });
        services.AddPostgresRideHistory(TestPostgresServer.ConnectionString);
        services.Configure<RideStreamOptions>(o =>
        {
            var test = TestRedis.Options(prefix, partitions);
            o.KeyPrefix = test.KeyPrefix;
            o.RidePartitions = test.RidePartitions;
            o.LocationPartitions = test.LocationPartitions;
            o.OperationTimeout = test.OperationTimeout;
            o.ConnectTimeout = test.ConnectTimeout;
        });
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
        return new ProjectorHost(provider, logs);
    }

    /// <summary>Stops as a host does on shutdown: the batches in hand are finished.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        foreach (var hosted in _services.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
