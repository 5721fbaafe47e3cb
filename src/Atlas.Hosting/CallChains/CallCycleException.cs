using System.Collections.Immutable;

namespace Atlas.Hosting.CallChains;

/// <summary>
/// A call would deadlock: its target is a non-reentrant grain that is itself waiting further up the same call chain.
/// Orleans would hold the call until the response timeout (30 s); Atlas fails it at once, naming the cycle.
/// </summary>
[GenerateSerializer, Alias("atlas.CallCycleException")]
public sealed class CallCycleException : Exception
{
    public CallCycleException(ImmutableArray<string> cycle)
        : base($"Call cycle: {string.Join(" -> ", cycle)}. The first grain is not reentrant and waits for this chain, so the " +
               "last call could never run. Make the call from outside the chain, or allow the re-entry: [AlwaysInterleave] " +
               "on the interface method, [Reentrant] on the grain class, or RequestContext.AllowCallChainReentrancy() around the first call.")
    {
        Cycle = cycle;
    }

    /// <summary>The calls of the cycle, first to last, each as <c>grain-id.Interface.Method</c>.</summary>
    [Id(0)]
    public ImmutableArray<string> Cycle { get; }
}
