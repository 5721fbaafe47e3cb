using System.Diagnostics;
using Atlas.Hosting.CallChains;

namespace Atlas.Hosting.Tests.CallChains;

/// <summary>
/// A call that closes a cycle through a non-reentrant grain fails at once with <see cref="CallCycleException"/>, naming
/// the cycle, where Orleans alone would wait for the response timeout (30 s; see <see cref="OrleansAloneTests"/>). Every
/// failure here is caught at the client: the exception crosses silos and reaches it as itself.
/// </summary>
[Collection(AtlasClusterCollection.Name)]
public sealed class CallCycleTests(AtlasClusterFixture fixture)
{
    /// <summary>Far below Orleans' 30 s response timeout, and above any pause of a busy test machine.</summary>
    private static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(1);

    private static Hop Grain(string name, ChainCall call = ChainCall.Run) => new(ChainGrainKind.NonReentrant, $"{name}-{Guid.NewGuid():N}", call);

    /// <summary>How the cycle names a call: <c>grain-id.IChainGrain.Method</c>.</summary>
    private string Call(Hop hop, string method) => $"{ChainGrain.Get(fixture.Client, hop).GetGrainId()}.{nameof(IChainGrain)}.{method}";

    private async Task<CallCycleException> FailsAtOnceAsync(params Hop[] path)
    {
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CallCycleException>(() => fixture.RunAsync(path));
        Assert.True(watch.Elapsed < AtOnce, $"the cycle failed after {watch.Elapsed}, not at once");
        return error;
    }

    private static void AssertCycle(CallCycleException error, params string[] calls)
    {
        Assert.Equal(calls, error.Cycle);
        Assert.StartsWith($"Call cycle: {string.Join(" -> ", calls)}.", error.Message);
    }

    [Fact]
    public async Task A_calling_B_calling_back_A_fails_at_once_and_the_client_gets_the_cycle()
    {
        var (a, b) = (Grain("a"), Grain("b"));

        var error = await FailsAtOnceAsync(a, b, a);

        AssertCycle(error, Call(a, "Run"), Call(b, "Run"), Call(a, "Run"));
    }

    [Fact]
    public async Task A_grain_calling_itself_fails_at_once()
    {
        var a = Grain("a");

        var error = await FailsAtOnceAsync(a, a);

        AssertCycle(error, Call(a, "Run"), Call(a, "Run"));
    }

    [Fact]
    public async Task A_cycle_through_three_grains_fails_at_once()
    {
        var (a, b, c) = (Grain("a"), Grain("b"), Grain("c"));

        var error = await FailsAtOnceAsync(a, b, c, a);

        AssertCycle(error, Call(a, "Run"), Call(b, "Run"), Call(c, "Run"), Call(a, "Run"));
    }

    [Fact]
    public async Task A_cycle_is_seen_only_from_where_it_closes()
    {
        var (a, b, c) = (Grain("a"), Grain("b"), Grain("c"));

        var error = await FailsAtOnceAsync(a, b, c, b);

        AssertCycle(error, Call(b, "Run"), Call(c, "Run"), Call(b, "Run"));
    }

    [Fact]
    public async Task A_cycle_across_silos_fails_at_once_the_chain_travelling_with_the_calls()
    {
        var (first, second) = fixture.TwoSilos();
        var (a, b) = (Grain("a") with { Silo = first }, Grain("b") with { Silo = second });

        var error = await FailsAtOnceAsync(a, b, a);

        AssertCycle(error, Call(a, "Run"), Call(b, "Run"), Call(a, "Run"));
        Assert.Equal(first, await ChainGrain.Get(fixture.Client, a).Silo());
        Assert.Equal(second, await ChainGrain.Get(fixture.Client, b).Silo());
    }

    [Fact]
    public async Task A_read_only_call_waiting_in_the_chain_does_not_let_a_writing_call_back_in()
    {
        var (a, b) = (Grain("a", ChainCall.RunReadOnly), Grain("b"));

        var error = await FailsAtOnceAsync(a, b, a with { Call = ChainCall.Run });

        AssertCycle(error, Call(a, "RunReadOnly"), Call(b, "Run"), Call(a, "Run"));
    }

    [Fact]
    public async Task A_reentrancy_section_opened_further_down_the_chain_does_not_open_the_grains_above_it()
    {
        // Only the grain that opens a call-chain reentrancy section lets the section's calls back in (Orleans: A would wait).
        var (a, b, c) = (Grain("a"), Grain("b") with { AllowsReentrancy = true }, Grain("c"));

        var error = await FailsAtOnceAsync(a, b, c, a);

        AssertCycle(error, Call(a, "Run"), Call(b, "Run"), Call(c, "Run"), Call(a, "Run"));
    }
}
