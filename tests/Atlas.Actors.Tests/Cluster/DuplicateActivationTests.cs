using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Cluster;

/// <summary>
/// During a view change a grain can briefly be active on two silos (the leaving owner still runs a request while the
/// new owner already serves calls). Storage writes are fenced by ETags, so the two can never both write successfully.
/// </summary>
public sealed class DuplicateActivationTests : IAsyncLifetime
{
    private readonly TestProbe _probe = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = ActorsFixture.Configure(new TestClusterBuilder(2), _probe).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Two_activations_during_a_view_change_never_both_write()
    {
        var leaving = _cluster.Silos[0];
        var key = Enumerable.Range(0, 1_000).Select(i => $"race-{i}").First(k => _cluster.OwnerOf(new GrainId("racingcounter", k)) == leaving);
        var grain = _cluster.GrainFactory.GetGrain<IRacingCounterGrain>(key);

        // The old activation reads version 0, then is held between its read and its write...
        var held = grain.IncrementAfterGate("hold");
        await _probe.WaitForAsync(e => e.Any(x => x.StartsWith($"read:{key}:0@{leaving.Address}")), what: "the first read");
        // ...while its silo leaves: new calls now go to the grain's new owner, which activates it a second time.
        var stopping = _cluster.StopSiloAsync(leaving);
        var second = await RetryAsync(() => grain.Increment());
        Assert.Equal(1, second);
        Assert.Contains(_cluster.Silos, s => s.Address != leaving.Address && s.Silo.HasActivation(grain.GetGrainId()));

        _probe.Open("hold");

        // The old activation's write carried version 0, which the new owner already replaced: it is refused.
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => held);
        Assert.Equal("1", error.StoredEtag);
        await stopping;
        Assert.Equal(1, await grain.Get());
        Assert.Equal(2, await grain.Increment());
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (SiloUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }
}
