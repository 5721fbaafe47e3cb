using System.Collections.Concurrent;
using System.Diagnostics;
using Atlas.Actors;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Xunit.Abstractions;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>Three silo processes and a client under steady load, one silo killed with kill -9.</summary>
[Collection(ProcessCollection.Name)]
public sealed class KillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task After_kill_9_the_grains_answer_from_the_survivors_within_5_s_and_no_acknowledged_write_is_lost()
    {
        var keys = Enumerable.Range(0, 60).Select(i => $"kill-{i}").ToArray();
        var homes = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            homes[key] = (await _cluster.Grains.GetGrain<IProbeGrain>(key).Ping(0)).Silo;
        }
        var victim = _cluster.Silos[1];
        var victimKeys = keys.Where(k => _cluster.ProcessOf(homes[k]) == victim).ToArray();
        Assert.NotEmpty(victimKeys);

        var acknowledged = keys.ToDictionary(k => k, _ => new ConcurrentQueue<(long Value, long At)>());
        var attempted = new ConcurrentDictionary<string, int>();
        var lastFailure = new ConcurrentDictionary<string, long>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var load = keys.Select(key => Task.Run(async () =>
        {
            var probe = _cluster.Grains.GetGrain<IProbeGrain>(key);
            while (!stop.IsCancellationRequested)
            {
                attempted.AddOrUpdate(key, 1, (_, n) => n + 1);
                try
                {
                    acknowledged[key].Enqueue((await probe.Increment(), clock.ElapsedMilliseconds));
                }
                catch (Exception exception) when (exception is SiloUnavailableException or GrainCallTimeoutException or InconsistentStateException)
                {
                    lastFailure[key] = clock.ElapsedMilliseconds;
                    await Task.Delay(20);
                }
            }
        })).ToArray();

        await TestServices.UntilAsync(() => Task.FromResult(keys.All(k => acknowledged[k].Count >= 3)), "every grain under load", TimeSpan.FromSeconds(30));
        var killedAt = clock.ElapsedMilliseconds;
        victim.Kill();
        await _cluster.WaitForViewAsync(2);
        await TestServices.UntilAsync(() => Task.FromResult(victimKeys.All(k =>
            lastFailure.TryGetValue(k, out var failed) && acknowledged[k].Any(a => a.At > failed))), "every grain of the dead silo to answer again", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        // Every grain of the dead silo answered again from a survivor within 5 s: a grain has recovered at its first
        // acknowledged call after its last failed one (an answer the victim gave just before it died does not count).
        Assert.True(victimKeys.All(lastFailure.ContainsKey), "the dead silo's grains never failed: the kill went unnoticed");
        var recovery = victimKeys.Max(k => acknowledged[k].Where(a => a.At > lastFailure[k]).Select(a => a.At).DefaultIfEmpty(long.MaxValue).Min() - killedAt);
        output.WriteLine($"kill -9 to recovery of every grain of the dead silo: {recovery} ms ({victimKeys.Length} grains; " +
                         $"last failure {victimKeys.Max(k => lastFailure[k]) - killedAt} ms after the kill)");
        Assert.True(recovery <= 5_000, $"recovery took {recovery} ms");

        foreach (var key in keys)
        {
            var values = acknowledged[key].Select(a => a.Value).ToArray();
            // Two activations never both wrote: every acknowledged value is new and they only grow.
            Assert.Equal(values.Length, values.Distinct().Count());
            Assert.Equal(values.Order(), values);
            // Nothing acknowledged was lost, and nothing was written that was not attempted.
            var stored = await _cluster.Grains.GetGrain<IProbeGrain>(key).Get();
            Assert.InRange(stored, values.Max(), attempted[key]);
        }
    }

    [Fact]
    public async Task Calls_in_flight_to_a_killed_silo_fail_promptly_with_SiloUnavailableException()
    {
        var victim = _cluster.Silos[2];
        var key = Enumerable.Range(0, 1_000).Select(i => $"flight-{i}").First(k =>
            _cluster.ProcessOf(_cluster.Grains.GetGrain<IProbeGrain>(k).Ping(0).GetAwaiter().GetResult().Silo) == victim);
        var probe = _cluster.Grains.GetGrain<IProbeGrain>(key);
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<(Exception Error, long At)>();
        var clock = Stopwatch.StartNew();
        var calls = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await probe.Ping(1);
                }
                catch (Exception exception)
                {
                    failures.Enqueue((exception, clock.ElapsedMilliseconds));
                    return;
                }
            }
        })).ToArray();
        await Task.Delay(500);

        var killedAt = clock.ElapsedMilliseconds;
        victim.Kill();
        await Task.WhenAll(calls.Select(c => c.WaitAsync(TimeSpan.FromSeconds(10))));

        Assert.NotEmpty(failures);
        Assert.All(failures, f => Assert.IsType<SiloUnavailableException>(f.Error));
        Assert.True(failures.Max(f => f.At) - killedAt < 2_000, "calls in flight were not failed promptly");
    }
}
