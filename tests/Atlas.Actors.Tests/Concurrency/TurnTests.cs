using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Concurrency;

[Collection(ActorsCollection.Name)]
public sealed class TurnTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task Ten_thousand_concurrent_calls_on_one_grain_never_overlap_and_all_count()
    {
        var grain = Grains.GetGrain<ISerialGrain>(Guid.NewGuid().ToString());

        var results = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(_ => grain.Touch()));

        Assert.Equal(10_000, await grain.Count());
        Assert.Equal(Enumerable.Range(1, 10_000), results.OrderBy(r => r));
    }

    [Fact]
    public async Task Concurrent_calls_from_inside_a_silo_never_overlap_either()
    {
        var grain = fixture.Cluster.Primary.Silo.GrainFactory.GetGrain<ISerialGrain>(Guid.NewGuid().ToString());

        await Task.WhenAll(Enumerable.Range(0, 2_000).Select(_ => grain.Touch()));

        Assert.Equal(2_000, await grain.Count());
    }

    [Fact]
    public async Task A_non_reentrant_grain_holds_a_request_across_its_awaits()
    {
        var grain = Grains.GetGrain<IGateGrain>(Guid.NewGuid().ToString());
        var waiting = grain.WaitForGate();

        // OpenGate queues behind WaitForGate, which waits for OpenGate: it can only time out.
        var timeout = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.OpenGate());
        Assert.Contains("IGateGrain.WaitForGate", timeout.Message);
        Assert.False(waiting.IsCompleted);

        await grain.OpenGateInterleaved();
        Assert.Equal("passed", await waiting);
    }

    [Fact]
    public async Task A_reentrant_grain_interleaves_requests_at_their_awaits()
    {
        var grain = Grains.GetGrain<IReentrantGateGrain>(Guid.NewGuid().ToString());
        var waiting = grain.WaitForGate();

        await grain.OpenGate();

        Assert.Equal("passed", await waiting);
    }

    [Fact]
    public async Task An_always_interleave_method_runs_while_another_request_holds_the_grain()
    {
        var grain = Grains.GetGrain<IGateGrain>(Guid.NewGuid().ToString());
        var waiting = grain.WaitForGate();

        await grain.OpenGateInterleaved();

        Assert.Equal("passed", await waiting);
    }

    [Fact]
    public async Task Read_only_requests_run_together()
    {
        var grain = Grains.GetGrain<IGateGrain>(Guid.NewGuid().ToString());
        var readers = Enumerable.Range(0, 3).Select(_ => grain.ReadWaitingForGate()).ToArray();

        // A fourth read-only request gets in while three wait inside.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (await grain.ReadersInside() < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.Equal(3, await grain.ReadersInside());

        await grain.OpenGateInterleaved();
        Assert.All(await Task.WhenAll(readers), r => Assert.Equal("passed", r));
    }

    [Fact]
    public async Task A_stateless_worker_runs_several_activations_of_one_key_at_once()
    {
        var grain = Grains.GetGrain<IWorkerGrain>("shared");

        var instances = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => grain.Work(300)));

        Assert.InRange(instances.Distinct().Count(), 2, 4 * fixture.Cluster.Silos.Count);
    }

    [Fact]
    public async Task A_one_way_call_returns_before_the_grain_runs_it()
    {
        var key = Guid.NewGuid().ToString();
        var grain = Grains.GetGrain<IOneWayGrain>(key);

        var sent = grain.Fire("x");

        Assert.True(sent.IsCompletedSuccessfully);
        Assert.DoesNotContain($"oneway:{key}:x", fixture.Probe.Events);
        await fixture.Probe.WaitForAsync(e => e.Contains($"oneway:{key}:x"), what: "the one-way call to run");
    }
}
