using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>
/// A silo stopped with SIGTERM (an operator, an orchestrator scaling in) leaves without failing anyone's call: neither
/// the test process's client nor the HTTP API's (in client mode), both under load.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class GracefulStopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;
    private ApiProcess _api = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ProcessCluster.StartAsync(3);
        _api = await ApiProcess.StartAsync(_cluster.ClusterId, new Dictionary<string, string> { ["RateLimits__PerCaller__PermitLimit"] = "100000" });
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Sigterm_under_load_fails_no_call_loses_no_write_and_the_silo_leaves_membership_through_ShuttingDown_to_Dead()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var keys = Enumerable.Range(0, 36).Select(i => $"stop-{run}-{i}").ToArray();
        var homes = new Dictionary<string, SiloProcess>();
        foreach (var key in keys)
        {
            homes[key] = _cluster.ProcessOf((await _cluster.Grains.GetGrain<IProbeGrain>(key).Ping(0)).Silo);
        }
        var victim = _cluster.Silos.MaxBy(s => homes.Values.Count(h => h == s))!;
        var victimKeys = keys.Where(k => homes[k] == victim).ToArray();

        await using var load = new IncrementLoad(_cluster.Grains, keys, TimeSpan.FromMilliseconds(200));
        await using var payments = new TopUpLoad(_api, riders: 8);
        load.Start();
        await payments.StartAsync(TimeSpan.FromMilliseconds(200));
        await TestServices.UntilAsync(() => Task.FromResult(keys.All(k => load.CallsOf(k).Count(c => c.Value is not null) >= 3) && payments.AcknowledgedCount >= 16),
            "every grain and the API under load", TimeSpan.FromSeconds(60));

        var stoppedAt = load.Clock.ElapsedMilliseconds;
        await victim.TerminateAsync(TimeSpan.FromSeconds(60));
        var exitedAfter = load.Clock.ElapsedMilliseconds - stoppedAt;
        var afterExit = load.Clock.ElapsedMilliseconds;
        // Every grain of the stopped silo goes on answering from the survivors.
        await TestServices.UntilAsync(() => Task.FromResult(load.AllAnsweredSince(victimKeys, afterExit)),
            "every grain of the stopped silo to answer from a survivor", TimeSpan.FromSeconds(30));
        await load.StopAsync();
        await payments.StopAsync();

        var retried = _cluster.Client.Log.Lines.Count(l => l.Contains("was rejected before it ran", StringComparison.Ordinal));
        var failed = load.AllCalls.Where(c => c.Error is not null).ToArray();
        output.WriteLine($"SIGTERM: the silo exited (code {victim.ExitCode}) {exitedAfter} ms after the signal; {load.AllCalls.Count()} calls, " +
                         $"{failed.Length} failed{(failed.Length == 0 ? "" : ": " + string.Join("; ", failed.Take(5).Select(f => $"{f.Error!.GetType().Name}: {f.Error.Message}")))}" +
                         $" ({retried} calls rejected by the stopping silo and tried again); through the API {payments.AcknowledgedCount} top-ups, " +
                         $"{payments.Failures.Count} failed{(payments.Failures.Count == 0 ? "" : ": " + string.Join(", ", payments.Failures.Distinct()))}");
        Assert.Equal(0, victim.ExitCode);
        Assert.Empty(failed);
        Assert.Empty(payments.Failures);
        await payments.VerifyAsync();

        // Membership: the silo announced its departure (ShuttingDown), then left (Dead) — the survivors saw both.
        await _cluster.Membership.WaitForAsync(victim, SiloStatus.Dead, TimeSpan.FromSeconds(10));
        var survivor = _cluster.Silos.First(s => s != victim);
        var seen = survivor.Messages.Where(m => m.StartsWith($"Membership: silo {victim.SiloAddress} is ", StringComparison.Ordinal)).ToArray();
        Assert.Contains(seen, m => m.Contains(" is ShuttingDown ", StringComparison.Ordinal));
        Assert.Contains(seen, m => m.Contains(" is Dead ", StringComparison.Ordinal));
        Assert.Contains(victim.Messages, m => m.Contains(" stopped", StringComparison.Ordinal));

        foreach (var key in keys)
        {
            var acknowledged = load.CallsOf(key).Select(c => c.Value!.Value).ToArray();
            // Every call was acknowledged, each with its own count, and the last count is what is stored.
            Assert.Equal(Enumerable.Range(1, acknowledged.Length).Select(i => (long)i), acknowledged.Order());
            Assert.Equal(acknowledged.Length, await _cluster.Grains.GetGrain<IProbeGrain>(key).Get());
        }
    }
}
