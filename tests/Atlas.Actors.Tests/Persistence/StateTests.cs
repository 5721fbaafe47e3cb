using Atlas.Actors.Persistence;
using Atlas.Actors.Serialization;
using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Persistence;

[Collection(ActorsCollection.Name)]
public sealed class StateTests(ActorsFixture fixture)
{
    private IGrainFactory Grains => fixture.GrainFactory;

    [Fact]
    public async Task State_survives_deactivation_and_is_loaded_before_OnActivateAsync()
    {
        var key = Guid.NewGuid().ToString("N");
        var counter = Grains.GetGrain<ICounterGrain>(key);
        await counter.Increment();
        await counter.Increment();
        Assert.Equal(0, await counter.ValueSeenOnActivation());

        await DeactivateAsync(counter.GetGrainId());

        Assert.Equal(2, await counter.ValueSeenOnActivation());
        Assert.Equal(3, await counter.Increment());
    }

    [Fact]
    public async Task A_stale_writer_gets_InconsistentStateException_and_the_next_call_sees_the_stored_state()
    {
        var key = Guid.NewGuid().ToString("N");
        var counter = Grains.GetGrain<ICounterGrain>(key);
        Assert.Equal(1, await counter.Increment());

        // Another activation (elsewhere) writes version 2 behind this one's back.
        var storage = new MemoryGrainStorage(fixture.Cluster.Storage, GrainStateSerializer.Default);
        await storage.WriteStateAsync("counter", counter.GetGrainId(), new Holder<CounterState>(new CounterState { Value = 100 }, "1"));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => counter.Increment());
        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);

        Assert.Equal(100, await counter.Get());
        Assert.Equal(101, await counter.Increment());
    }

    [Fact]
    public async Task Clearing_state_resets_it_and_later_writes_work()
    {
        var counter = Grains.GetGrain<ICounterGrain>(Guid.NewGuid().ToString("N"));
        await counter.Increment();

        await counter.Clear();
        Assert.Equal(0, await counter.Get());
        await DeactivateAsync(counter.GetGrainId());
        Assert.Equal(0, await counter.Get());
        Assert.Equal(1, await counter.Increment());
    }

    [Fact]
    public async Task A_silo_refuses_to_start_when_a_grain_needs_a_storage_that_is_not_configured()
    {
        await using var cluster = new TestClusterBuilder(1).ConfigureSilo(s => s.Services.AddSingletonProbe(new TestProbe())).Build();

        var error = await Assert.ThrowsAsync<AtlasConfigurationException>(cluster.DeployAsync);

        Assert.Contains("'Archive'", error.Message);
        Assert.Contains(typeof(ArchiveGrain).FullName!, error.Message);
    }

    [Fact]
    public async Task A_named_storage_is_used_when_configured()
    {
        Assert.Equal(5, await Grains.GetGrain<IArchiveGrain>(Guid.NewGuid().ToString("N")).Store(5));
    }

    private async Task DeactivateAsync(GrainId grainId)
    {
        var lifecycle = fixture.Cluster.Silos.First(s => s.Silo.HasActivation(grainId));
        await lifecycle.Silo.DeactivateAsync(grainId);
    }

    private sealed class Holder<T>(T state, string? etag) : IGrainState<T>
    {
        public T State { get; set; } = state;
        public string? ETag { get; set; } = etag;
        public bool RecordExists { get; set; } = true;
    }
}

internal static class ProbeRegistration
{
    public static void AddSingletonProbe(this Microsoft.Extensions.DependencyInjection.IServiceCollection services, TestProbe probe) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, probe);
}
