using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Lifecycle;

[Collection(ActorsCollection.Name)]
public sealed class LifecycleTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;
    private TestProbe Probe => fixture.Probe;

    [Fact]
    public async Task DeactivateOnIdle_runs_OnDeactivateAsync_with_its_reason_and_the_next_call_reactivates()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<ILifecycleGrain>(key);
        await grain.Hello();

        await grain.Deactivate();
        await Probe.WaitForAsync(e => e.Contains($"deactivate:{key}:ApplicationRequested"), what: "the deactivation");

        await grain.Hello();
        Assert.Equal(2, Probe.Count($"activate:{key}"));
    }

    [Fact]
    public async Task An_idle_activation_is_collected_after_its_class_age_limit()
    {
        var key = Guid.NewGuid().ToString("N");
        await Grains.GetGrain<IShortLivedGrain>(key).Touch();

        await Probe.WaitForAsync(e => e.Contains($"deactivate:{key}:ActivationIdle"), TimeSpan.FromSeconds(10), "idle collection");

        Assert.DoesNotContain(fixture.Cluster.Silos, s => s.Silo.HasActivation(new GrainId("shortlived", key)));
    }

    [Fact]
    public async Task DelayDeactivation_keeps_an_idle_activation_alive()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = Grains.GetGrain<IShortLivedGrain>(key);
        await grain.KeepAlive(3_000);

        await Task.Delay(2_000);
        Assert.DoesNotContain($"deactivate:{key}:ActivationIdle", Probe.Events);

        await Probe.WaitForAsync(e => e.Contains($"deactivate:{key}:ActivationIdle"), TimeSpan.FromSeconds(10), "collection after the delay");
    }

    [Fact]
    public async Task A_failed_activation_fails_the_call_and_the_next_call_tries_again()
    {
        var key = Guid.NewGuid().ToString("N");
        Probe.Record($"break:{key}");
        var grain = Grains.GetGrain<IFragileGrain>(key);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Hello());
        Assert.Equal("activation refused on purpose", error.Message);

        Probe.Record($"mend:{key}");
        Assert.Equal("hello", await grain.Hello());
    }
}
