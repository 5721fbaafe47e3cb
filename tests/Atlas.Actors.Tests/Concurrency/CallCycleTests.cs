using System.Diagnostics;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Concurrency;

[Collection(ActorsCollection.Name)]
public sealed class CallCycleTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task A_call_cycle_on_non_reentrant_grains_fails_fast_and_names_the_cycle()
    {
        var a = $"a-{Guid.NewGuid():N}";
        var b = $"b-{Guid.NewGuid():N}";
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<CallCycleException>(() => Grains.GetGrain<ICycleGrain>(a).CallThrough([b, a]));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal([$"cycle/{a}.CallThrough", $"cycle/{b}.CallThrough", $"cycle/{a}.CallThrough"], error.Cycle);
        Assert.Contains($"cycle/{a}.CallThrough -> cycle/{b}.CallThrough -> cycle/{a}.CallThrough", error.Message);
    }

    [Fact]
    public async Task A_grain_calling_itself_is_a_cycle_too()
    {
        var a = Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<CallCycleException>(() => Grains.GetGrain<ICycleGrain>(a).CallThrough([a]));

        Assert.Equal([$"cycle/{a}.CallThrough", $"cycle/{a}.CallThrough"], error.Cycle);
    }

    [Fact]
    public async Task A_longer_chain_without_a_cycle_completes()
    {
        var keys = Enumerable.Range(0, 5).Select(i => $"c{i}-{Guid.NewGuid():N}").ToArray();

        var path = await Grains.GetGrain<ICycleGrain>(keys[0]).CallThrough(keys[1..]);

        Assert.Equal(string.Join(">", keys), path);
    }

    [Fact]
    public async Task A_grain_that_allows_call_chain_reentrancy_lets_the_chain_back_in()
    {
        var a = $"a-{Guid.NewGuid():N}";
        var b = $"b-{Guid.NewGuid():N}";

        var path = await Grains.GetGrain<IChainReentrantGrain>(a).CallThrough([b, a]);

        Assert.Equal($"{a}>{b}>{a}", path);
    }

    [Fact]
    public async Task A_one_way_call_back_into_a_waiting_grain_is_not_a_cycle()
    {
        var origin = Guid.NewGuid().ToString("N");

        Assert.Equal("done", await Grains.GetGrain<IOneWayGrain>(origin).PingPong($"target-{origin}"));

        await fixture.Probe.WaitForAsync(e => e.Contains($"oneway:{origin}:bounced"), what: "the one-way call back to run");
    }

    [Fact]
    public async Task Calls_from_different_chains_still_wait_their_turn()
    {
        // Two independent callers on one grain: no cycle, no error, both complete.
        var key = Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<ICycleGrain>(key);

        var results = await Task.WhenAll(grain.CallThrough([$"x-{key}"]), grain.CallThrough([$"y-{key}"]));

        Assert.Equal([$"{key}>x-{key}", $"{key}>y-{key}"], results);
    }
}
