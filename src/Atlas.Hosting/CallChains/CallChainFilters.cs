using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Hosting.CallChains;

/// <summary>
/// Adds each grain a request enters to the request's <see cref="CallChain"/>. Runs on the target silo, where the grain
/// class (and so whether it is reentrant) is known.
/// </summary>
internal sealed class CallChainIncomingFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        var method = CallChainAttributes.Of(context.InterfaceMethod);
        var grainType = context.TargetContext.GrainInstance?.GetType();
        // A request that interleaves does not hold the grain: Orleans lets the grain's next request in beside it.
        var blocks = !method.AlwaysInterleave && grainType is not null && CallChainAttributes.Blocks(grainType);
        var link = new CallLink(context.TargetId, method.Name, blocks, method.ReadOnly, RequestContext.ReentrancyId);
        // A one-way caller does not wait: what this call does next cannot close a cycle through it.
        var chain = method.OneWay ? null : CallChain.Current;
        RequestContext.Set(CallChain.ContextKey, chain is null ? new CallChain([link]) : chain.Append(link));
        return context.Invoke();
    }
}

/// <summary>
/// Refuses a call that would close a cycle: its target is in the chain, blocked waiting for it, and nothing lets the call
/// in beside the waiting one (<c>[AlwaysInterleave]</c>, read-only with read-only, call-chain reentrancy).
/// </summary>
internal sealed class CallChainOutgoingFilter : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        if (CallChain.Current is { } chain)
        {
            var method = CallChainAttributes.Of(context.InterfaceMethod);
            if (!method.OneWay && !method.AlwaysInterleave)
            {
                var links = chain.Links;
                var reentrancy = RequestContext.ReentrancyId;
                for (var i = 0; i < links.Length; i++)
                {
                    var link = links[i];
                    if (link.Blocks && link.Grain.Equals(context.TargetId) && !(link.ReadOnly && method.ReadOnly) &&
                        !InReentrantSection(links, i, reentrancy))
                    {
                        return Task.FromException(new CallCycleException(Cycle(links, i, $"{context.TargetId}.{method.Name}")));
                    }
                }
            }
        }
        return context.Invoke();
    }

    /// <summary>
    /// Whether the grain of <c>links[i]</c> lets in a call of the call-chain reentrancy section <paramref name="reentrancy"/>
    /// (<see cref="RequestContext.AllowCallChainReentrancy"/>): only if it made its waiting call inside that section, that
    /// is, if that call (the next link, or this call for the last) carried the same id. Whether the grain opened the section
    /// or only passed on one opened before it, a filter cannot tell: it is taken as opened, so a cycle is never reported where
    /// Orleans would let the call in.
    /// </summary>
    private static bool InReentrantSection(ImmutableArray<CallLink> links, int i, Guid reentrancy) =>
        reentrancy != Guid.Empty && (i + 1 < links.Length ? links[i + 1].Reentrancy : reentrancy) == reentrancy;

    private static ImmutableArray<string> Cycle(ImmutableArray<CallLink> links, int from, string closing)
    {
        var cycle = ImmutableArray.CreateBuilder<string>(links.Length - from + 1);
        for (var j = from; j < links.Length; j++)
        {
            cycle.Add(links[j].ToString());
        }
        cycle.Add(closing);
        return cycle.MoveToImmutable();
    }
}

/// <summary>What the filters need to know of methods and grain classes, read once per method and class.</summary>
internal static class CallChainAttributes
{
    /// <summary>The interface through which Orleans delivers a grain timer's tick to its grain (as a one-way request).</summary>
    private const string TimerTickInterface = "Orleans.Runtime.IGrainTimerInvoker";

    private static readonly ConcurrentDictionary<MethodInfo, MethodFacts> Methods = new();
    private static readonly ConcurrentDictionary<Type, bool> Blocking = new();

    public static MethodFacts Of(MethodInfo method) => Methods.GetOrAdd(method, static m => new MethodFacts(
        $"{m.DeclaringType?.Name}.{m.Name}",
        m.IsDefined(typeof(OneWayAttribute), inherit: true),
        // A timer's tick interleaves if the timer was created so (GrainTimerCreationOptions.Interleave), which Orleans does
        // not show a filter: a tick is taken as interleaving. A non-interleaving tick that calls back into its own grain
        // through others still waits for the response timeout, as without these filters.
        m.IsDefined(typeof(AlwaysInterleaveAttribute), inherit: true) || m.DeclaringType?.FullName == TimerTickInterface,
        m.IsDefined(typeof(ReadOnlyAttribute), inherit: true)));

    /// <summary>Whether an activation of <paramref name="grainType"/> takes no other request while one waits.</summary>
    public static bool Blocks(Type grainType) => Blocking.GetOrAdd(grainType, static t =>
        !t.IsDefined(typeof(ReentrantAttribute), inherit: true) &&
        !t.IsDefined(typeof(StatelessWorkerAttribute), inherit: true) &&
        !t.IsDefined(typeof(MayInterleaveAttribute), inherit: true));

    internal readonly record struct MethodFacts(string Name, bool OneWay, bool AlwaysInterleave, bool ReadOnly);
}
