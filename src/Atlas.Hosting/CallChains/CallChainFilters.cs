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
        var link = new CallLink(context.TargetId, method.Name, grainType is not null && CallChainAttributes.Blocks(grainType), method.ReadOnly);
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
        if (CallChain.Current is { } chain && RequestContext.ReentrancyId == Guid.Empty)
        {
            var method = CallChainAttributes.Of(context.InterfaceMethod);
            if (!method.OneWay && !method.AlwaysInterleave)
            {
                var links = chain.Links;
                for (var i = 0; i < links.Length; i++)
                {
                    var link = links[i];
                    if (link.Blocks && link.Grain.Equals(context.TargetId) && !(link.ReadOnly && method.ReadOnly))
                    {
                        var cycle = ImmutableArray.CreateBuilder<string>(links.Length - i + 1);
                        for (var j = i; j < links.Length; j++)
                        {
                            cycle.Add(links[j].ToString());
                        }
                        cycle.Add($"{context.TargetId}.{method.Name}");
                        return Task.FromException(new CallCycleException(cycle.MoveToImmutable()));
                    }
                }
            }
        }
        return context.Invoke();
    }
}

/// <summary>What the filters need to know of methods and grain classes, read once per method and class.</summary>
internal static class CallChainAttributes
{
    private static readonly ConcurrentDictionary<MethodInfo, MethodFacts> Methods = new();
    private static readonly ConcurrentDictionary<Type, bool> Blocking = new();

    public static MethodFacts Of(MethodInfo method) => Methods.GetOrAdd(method, static m => new MethodFacts(
        $"{m.DeclaringType?.Name}.{m.Name}",
        m.IsDefined(typeof(OneWayAttribute), inherit: true),
        m.IsDefined(typeof(AlwaysInterleaveAttribute), inherit: true),
        m.IsDefined(typeof(ReadOnlyAttribute), inherit: true)));

    /// <summary>Whether an activation of <paramref name="grainType"/> takes no other request while one waits.</summary>
    public static bool Blocks(Type grainType) => Blocking.GetOrAdd(grainType, static t =>
        !t.IsDefined(typeof(ReentrantAttribute), inherit: true) &&
        !t.IsDefined(typeof(StatelessWorkerAttribute), inherit: true) &&
        !t.IsDefined(typeof(MayInterleaveAttribute), inherit: true));

    internal readonly record struct MethodFacts(string Name, bool OneWay, bool AlwaysInterleave, bool ReadOnly);
}
