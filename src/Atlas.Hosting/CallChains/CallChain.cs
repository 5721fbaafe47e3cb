using System.Collections.Immutable;
using Orleans.Runtime;

namespace Atlas.Hosting.CallChains;

/// <summary>
/// The grains a request passed through and that still wait for it, carried in <see cref="RequestContext"/> from call
/// to call. Only links of calls whose caller waits are kept: a one-way call starts a new chain.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.CallChain")]
public sealed class CallChain
{
    /// <summary>The <see cref="RequestContext"/> key.</summary>
    internal const string ContextKey = "atlas.chain";

    /// <summary>The deepest chain carried; past it the oldest links are dropped (a cycle longer than this is not seen).</summary>
    internal const int MaxLinks = 32;

    public CallChain(ImmutableArray<CallLink> links) => Links = links;

    /// <summary>From the first grain of the request to the one that runs now.</summary>
    [Id(0)]
    public ImmutableArray<CallLink> Links { get; }

    /// <summary>The chain of the request this code runs for; none outside grain calls.</summary>
    internal static CallChain? Current => RequestContext.Get(ContextKey) as CallChain;

    internal CallChain Append(CallLink link)
    {
        var links = Links.Length < MaxLinks ? Links : Links.RemoveAt(0);
        return new CallChain(links.Add(link));
    }
}

/// <summary>One grain in a call chain: which grain, which method, and whether it blocks while it waits.</summary>
/// <param name="Grain">The grain that runs the call.</param>
/// <param name="Method">The interface method, for the message (<c>IOrderGrain.AcceptOffer</c>).</param>
/// <param name="Blocks">
/// Whether the grain takes no other request while this one waits: false for <c>[Reentrant]</c>,
/// <c>[StatelessWorker]</c> (another activation takes the call) and <c>[MayInterleave]</c> classes, and for a call that
/// itself interleaves (<c>[AlwaysInterleave]</c>, a timer's tick).
/// </param>
/// <param name="ReadOnly">Whether the call is <c>[ReadOnly]</c> (another read-only call may interleave with it).</param>
/// <param name="Reentrancy">
/// The call-chain reentrancy section the call came in with (<see cref="RequestContext.ReentrancyId"/>; empty if none):
/// the grain before it in the chain made it inside that section.
/// </param>
[GenerateSerializer, Immutable, Alias("atlas.CallLink")]
public sealed record CallLink(
    [property: Id(0)] GrainId Grain,
    [property: Id(1)] string Method,
    [property: Id(2)] bool Blocks,
    [property: Id(3)] bool ReadOnly,
    [property: Id(4)] Guid Reentrancy)
{
    public override string ToString() => $"{Grain}.{Method}";
}
