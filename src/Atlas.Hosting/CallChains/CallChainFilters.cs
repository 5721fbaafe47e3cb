using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Hosting.CallChains;

/// <summary>
/// Remembers the request a grain runs (its context and the reentrancy section it came in with). The chain itself is built
/// only when the request calls another grain (<see cref="CallChainOutgoingFilter"/>): most calls call nobody, and
/// building and setting <see cref="RequestContext"/> (a copy of its dictionary) on every call cost about as much again as
/// the rest of the check.
/// </summary>
internal sealed class CallChainIncomingFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        IncomingCall.Current = new IncomingCall(context, RequestContext.ReentrancyId);
        return context.Invoke();
    }
}

/// <summary>The request a grain runs, and the call chain of its outgoing calls once one was made.</summary>
internal sealed class IncomingCall(IIncomingGrainCallContext context, Guid reentrancy)
{
    private static readonly AsyncLocal<IncomingCall?> CurrentCall = new();

    private CallChain? _chain;

    /// <summary>Set by the incoming filter for the request's own flow (and the tasks it starts).</summary>
    public static IncomingCall? Current
    {
        get => CurrentCall.Value;
        set => CurrentCall.Value = value;
    }

    /// <summary>The grain that runs the request.</summary>
    public IGrainContext Grain => context.TargetContext;

    /// <summary>The chain of the request's callers with the request's own grain appended: what its outgoing calls carry.</summary>
    public CallChain Chain => _chain ??= Build();

    private CallChain Build()
    {
        var method = CallChainAttributes.Of(context.InterfaceMethod);
        var grainType = context.TargetContext.GrainInstance?.GetType();
        // A request that interleaves does not hold the grain: Orleans lets the grain's next request in beside it.
        var blocks = !method.AlwaysInterleave && grainType is not null && CallChainAttributes.Blocks(grainType);
        var link = new CallLink(context.TargetId, method.Name, blocks, method.ReadOnly, reentrancy);
        // A one-way caller does not wait: what this call does next cannot close a cycle through it.
        var callers = method.OneWay ? null : CallChain.Current;
        return callers is null ? new CallChain([link]) : callers.Append(link);
    }
}

/// <summary>
/// Refuses a call that would close a cycle: its target is in the chain, blocked waiting for it, and nothing lets the call
/// in beside the waiting one (<c>[AlwaysInterleave]</c>, read-only with read-only, call-chain reentrancy). Otherwise the call
/// carries the chain on in <see cref="RequestContext"/>.
/// </summary>
internal sealed class CallChainOutgoingFilter : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        // Only calls a grain makes while it runs a request (not a client's, not another grain's whose flow this is).
        if (IncomingCall.Current is not { } incoming || !ReferenceEquals(incoming.Grain, context.SourceContext))
        {
            return context.Invoke();
        }
        var chain = incoming.Chain;
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
        if (!ReferenceEquals(RequestContext.Get(CallChain.ContextKey), chain))
        {
            RequestContext.Set(CallChain.ContextKey, chain); // once per request flow: later calls of the request find it set
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
