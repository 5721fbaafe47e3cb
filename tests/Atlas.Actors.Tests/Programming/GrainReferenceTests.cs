using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Programming;

[Collection(ActorsCollection.Name)]
public sealed class GrainReferenceTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task Getting_a_reference_does_not_activate_the_grain()
    {
        var key = Guid.NewGuid().ToString();
        var grain = Grains.GetGrain<ILifecycleGrain>(key);

        await Task.Delay(50);
        Assert.DoesNotContain($"activate:{key}", fixture.Probe.Events);
        Assert.DoesNotContain(fixture.Cluster.Silos, s => s.Silo.HasActivation(grain.GetGrainId()));

        await grain.Hello();
        Assert.Contains($"activate:{key}", fixture.Probe.Events);
        Assert.Single(fixture.Cluster.Silos, s => s.Silo.HasActivation(grain.GetGrainId()));
    }

    [Fact]
    public async Task String_guid_and_integer_keys_reach_their_grains()
    {
        var guid = Guid.NewGuid();
        Assert.Equal(guid, await Grains.GetGrain<IGuidCounterGrain>(guid).Key());
        Assert.Equal(-42L, await Grains.GetGrain<ILongKeyGrain>(-42).Key());
        Assert.Equal(long.MaxValue, await Grains.GetGrain<ILongKeyGrain>(long.MaxValue).Key());
        Assert.StartsWith("hello from lifecycle/abc@", await Grains.GetGrain<ILifecycleGrain>("abc").Hello());
    }

    [Fact]
    public void Null_or_empty_keys_are_refused()
    {
        Assert.Throws<ArgumentNullException>(() => Grains.GetGrain<ICounterGrain>((string)null!));
        Assert.Throws<ArgumentException>(() => Grains.GetGrain<ICounterGrain>(""));
        Assert.Throws<ArgumentNullException>(() => Grains.GetGrain<ICounterGrain>((GrainId)null!));
    }

    [Fact]
    public void References_to_the_same_grain_are_equal_and_name_it()
    {
        var a = Grains.GetGrain<ICounterGrain>("same");
        var b = Grains.GetGrain<ICounterGrain>("same");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(new GrainId("counter", "same"), a.GetGrainId());
        Assert.NotEqual(a, Grains.GetGrain<ICounterGrain>("other"));
    }

    [Fact]
    public async Task References_travel_inside_messages_both_ways()
    {
        var key = Guid.NewGuid().ToString();
        var echo = Grains.GetGrain<IEchoGrain>(key);
        var counter = Grains.GetGrain<ICounterGrain>(key);

        Assert.Equal(1, await echo.IncrementThrough(counter));

        var returned = await echo.CounterFor(key);
        Assert.Equal(counter, returned);
        Assert.Equal(2, await returned.Increment());
    }
}
