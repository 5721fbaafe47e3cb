using System.Diagnostics;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>
/// Three silo processes and a client under steady load of stored writes; one silo hangs (SIGSTOP: its sockets stay
/// open and accept connections, nothing answers — a frozen VM, a partition without a TCP reset), then runs again.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class HangTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The bound: a hung silo is declared dead within 10 s.</summary>
    private const long BoundMilliseconds = 10_000;

    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_hung_silo_is_declared_dead_within_10_s_its_grains_answer_from_survivors_and_when_it_runs_again_it_stops_itself()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var keys = Enumerable.Range(0, 36).Select(i => $"hang-{run}-{i}").ToArray();
        var homes = new Dictionary<string, SiloProcess>();
        foreach (var key in keys)
        {
            homes[key] = _cluster.ProcessOf((await _cluster.Grains.GetGrain<IProbeGrain>(key).Ping(0)).Silo);
        }
        var victim = _cluster.Silos.MaxBy(s => homes.Values.Count(h => h == s))!;
        var victimKeys = keys.Where(k => homes[k] == victim).ToArray();

        await using var load = new IncrementLoad(_cluster.Grains, keys, TimeSpan.FromMilliseconds(200));
        load.Start();
        await TestServices.UntilAsync(() => Task.FromResult(keys.All(k => load.CallsOf(k).Count(c => c.Value is not null) >= 3)),
            "every grain under load", TimeSpan.FromSeconds(60));

        var pausedAt = load.Clock.ElapsedMilliseconds;
        victim.Pause();
        var detection = Stopwatch.StartNew();
        // The client in this process held a connection to each of the three gateways: when does it drop the victim's?
        var gatewayDropped = GatewayDroppedAfterAsync(detection);
        await _cluster.Membership.WaitForAsync(victim, SiloStatus.Dead, TimeSpan.FromSeconds(60));
        var declaredDeadAfter = detection.ElapsedMilliseconds;
        var clientDroppedAfter = await gatewayDropped;
        await TestServices.UntilAsync(() => Task.FromResult(load.AllAnsweredSince(victimKeys, pausedAt)),
            "every grain of the hung silo to answer from a survivor", TimeSpan.FromSeconds(60));
        var recovery = load.FirstAnswerAfter(victimKeys, pausedAt).Values.Max();

        // Declared dead, it runs again: it must find out and stop rather than serve its old activations.
        var resumed = Stopwatch.StartNew();
        victim.Resume();
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(90));
        var stoppedAfter = resumed.ElapsedMilliseconds;
        await load.StopAsync();

        var failed = load.AllCalls.Where(c => c.Error is not null).ToArray();
        output.WriteLine($"SIGSTOP: declared dead after {declaredDeadAfter} ms; the client dropped its gateway after {clientDroppedAfter} ms; the {victimKeys.Length} grains of the hung silo answered from survivors " +
                         $"within {recovery} ms; resumed, it stopped itself after {stoppedAfter} ms (exit code {victim.ExitCode}); {failed.Length} calls failed: " +
                         Diagnostics.Summarize(failed.Select(c => c.Error!)));
        if (declaredDeadAfter > BoundMilliseconds)
        {
            Diagnostics.WriteMembershipLog(output, _cluster.Silos.Where(s => s != victim));
        }
        Assert.True(clientDroppedAfter <= BoundMilliseconds, $"the client dropped the hung silo's gateway after {clientDroppedAfter} ms");
        Assert.True(declaredDeadAfter <= BoundMilliseconds, $"the hung silo was declared dead after {declaredDeadAfter} ms");
        Assert.NotEqual(0, victim.ExitCode);
        Assert.Contains(victim.Messages, m => m.Contains("I have been told I am dead", StringComparison.Ordinal));

        // Only the victim died: no survivor was declared dead on the way (a false suspicion under load).
        Assert.Equal(_cluster.Silos.Where(s => s != victim).Select(s => s.Port).Order(), await _cluster.Membership.ActivePortsAsync());
        foreach (var key in keys)
        {
            var calls = load.CallsOf(key);
            var acknowledged = calls.Where(c => c.Value is not null).Select(c => c.Value!.Value).ToArray();
            // The hung silo's activations and their successors never both wrote: every acknowledged count is different.
            Assert.Equal(acknowledged.Length, acknowledged.Distinct().Count());
            var stored = await _cluster.Grains.GetGrain<IProbeGrain>(key).Get();
            Assert.InRange(stored, acknowledged.Max(), calls.Count);
        }
    }

    /// <summary>When (ms of <paramref name="clock"/>) the test's client no longer holds a connection to three gateways.</summary>
    private async Task<long> GatewayDroppedAfterAsync(Stopwatch clock)
    {
        await TestServices.UntilAsync(() => Task.FromResult(_cluster.Client.Gateways.Current < 3), "the client to drop the victim's gateway", TimeSpan.FromSeconds(60));
        return clock.ElapsedMilliseconds;
    }
}
