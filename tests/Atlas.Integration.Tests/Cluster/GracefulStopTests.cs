using System.Collections.Concurrent;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>A silo stopped with SIGTERM leaves without failing anyone's call.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GracefulStopTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_graceful_stop_under_load_fails_no_call_and_loses_no_write()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"stop-{i}").ToArray();
        var acknowledged = new ConcurrentDictionary<string, long>();
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var load = keys.Select(key => Task.Run(async () =>
        {
            var probe = _cluster.Grains.GetGrain<IProbeGrain>(key);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    acknowledged[key] = await probe.Increment();
                }
                catch (Exception exception)
                {
                    failures.Enqueue(exception);
                    return;
                }
            }
        })).ToArray();
        await TestServices.UntilAsync(() => Task.FromResult(keys.All(acknowledged.ContainsKey)), "every grain under load", TimeSpan.FromSeconds(30));

        await _cluster.Silos[1].TerminateAsync();
        await _cluster.WaitForViewAsync(2);
        // Every grain, the stopped silo's included, goes on answering from the survivors.
        var afterStop = new Dictionary<string, long>(acknowledged);
        await TestServices.UntilAsync(() => Task.FromResult(failures.IsEmpty is false || keys.All(k => acknowledged[k] > afterStop[k])),
            "every grain to answer after the stop", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Empty(failures);
        Assert.Contains(_cluster.Silos[1].Output, line => line.Contains("stopped", StringComparison.Ordinal));
        foreach (var key in keys)
        {
            Assert.Equal(acknowledged[key], await _cluster.Grains.GetGrain<IProbeGrain>(key).Get());
        }
    }
}
