namespace Atlas.Hosting.Tests.CallChains;

/// <summary>
/// Calls that Orleans lets in beside a waiting request pass the filters untouched: the chain completes and answers with
/// every grain it went through.
/// </summary>
[Collection(AtlasClusterCollection.Name)]
public sealed class CallChainPassTests(AtlasClusterFixture fixture)
{
    private static Hop Grain(string name, ChainCall call = ChainCall.Run, ChainGrainKind kind = ChainGrainKind.NonReentrant) =>
        new(kind, $"{name}-{Guid.NewGuid():N}", call);

    private static string Route(params Hop[] path) => string.Join(" > ", path.Select(h => h.Key));

    [Fact]
    public async Task A_call_back_into_a_reentrant_grain_passes()
    {
        var (r, b) = (Grain("r", kind: ChainGrainKind.Reentrant), Grain("b"));

        Assert.Equal(Route(r, b, r), await fixture.RunAsync(r, b, r));
    }

    [Fact]
    public async Task A_call_back_to_an_always_interleave_method_passes()
    {
        var (a, b) = (Grain("a"), Grain("b"));

        Assert.Equal(Route(a, b, a), await fixture.RunAsync(a, b, a with { Call = ChainCall.RunInterleaved }));
    }

    [Fact]
    public async Task A_call_back_into_a_grain_whose_waiting_call_interleaves_passes()
    {
        // The interleaving request does not hold A: Orleans runs A's next request beside it.
        var (a, b) = (Grain("a", ChainCall.RunInterleaved), Grain("b"));

        Assert.Equal(Route(a, b, a), await fixture.RunAsync(a, b, a with { Call = ChainCall.Run }));
    }

    [Fact]
    public async Task A_call_back_inside_the_callers_call_chain_reentrancy_section_passes()
    {
        var (a, b) = (Grain("a") with { AllowsReentrancy = true }, Grain("b"));

        Assert.Equal(Route(a, b, a), await fixture.RunAsync(a, b, a with { AllowsReentrancy = false }));
    }

    [Fact]
    public async Task A_read_only_call_back_into_a_grain_waiting_in_a_read_only_call_passes()
    {
        var (a, b) = (Grain("a", ChainCall.RunReadOnly), Grain("b"));

        Assert.Equal(Route(a, b, a), await fixture.RunAsync(a, b, a));
    }

    [Fact]
    public async Task A_one_way_call_that_calls_back_passes()
    {
        var (a, b) = (Grain("a"), Grain("b", ChainCall.RunOneWay));

        var answer = await fixture.RunAsync(a, b, a);

        Assert.StartsWith($"{a.Key} > (one-way", answer);
        Assert.Equal(Route(b, a), await ChainReports.For(b.Key).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_call_back_to_a_stateless_worker_passes()
    {
        var (w, b) = (Grain("w", kind: ChainGrainKind.StatelessWorker), Grain("b"));

        Assert.Equal(Route(w, b, w), await fixture.RunAsync(w, b, w));
    }

    [Fact]
    public async Task A_call_back_from_an_interleaving_timer_tick_passes()
    {
        var (a, b) = (Grain("a"), Grain("b"));
        var report = $"timer-{Guid.NewGuid():N}";

        await ChainGrain.Get(fixture.Client, a).RunFromTimer([a, b, a], 1, interleave: true, report);

        Assert.Equal(Route(a, b, a), await ChainReports.For(report).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_deep_chain_without_a_cycle_passes()
    {
        var (first, second) = fixture.TwoSilos();
        var path = new[] { Grain("a") with { Silo = first }, Grain("b") with { Silo = second }, Grain("c") with { Silo = first }, Grain("d") with { Silo = second } };

        Assert.Equal(Route(path), await fixture.RunAsync(path));
    }

    [Fact]
    public async Task A_grain_called_again_after_its_chain_returned_is_not_in_a_cycle()
    {
        var (a, b) = (Grain("a"), Grain("b"));

        Assert.Equal(Route(a, b), await fixture.RunAsync(a, b));
        Assert.Equal(Route(b, a), await fixture.RunAsync(b, a));
        Assert.Equal(Route(a, b), await fixture.RunAsync(a, b));
    }
}
