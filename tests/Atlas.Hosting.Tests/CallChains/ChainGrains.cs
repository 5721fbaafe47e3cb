using System.Collections.Concurrent;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Atlas.Hosting.Tests.CallChains;

/// <summary>The kinds of test grain a chain passes through.</summary>
[GenerateSerializer, Alias("atlas.tests.ChainGrainKind")]
public enum ChainGrainKind
{
    /// <summary>Orleans' default: one request at a time.</summary>
    NonReentrant,
    /// <summary><c>[Reentrant]</c>.</summary>
    Reentrant,
    /// <summary><c>[StatelessWorker]</c>.</summary>
    StatelessWorker,
}

/// <summary>How a grain is called: which method of <see cref="IChainGrain"/>.</summary>
[GenerateSerializer, Alias("atlas.tests.ChainCall")]
public enum ChainCall
{
    Run,
    RunReadOnly,
    RunInterleaved,
    RunOneWay,
}

/// <summary>
/// One step of a chain of calls: the grain called, how, where it is placed if it is activated by this call, and whether
/// it makes its own onward call inside <see cref="RequestContext.AllowCallChainReentrancy"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.tests.Hop")]
public sealed record Hop(
    [property: Id(0)] ChainGrainKind Kind,
    [property: Id(1)] string Key,
    [property: Id(2)] ChainCall Call = ChainCall.Run,
    [property: Id(3)] SiloAddress? Silo = null,
    [property: Id(4)] bool AllowsReentrancy = false);

/// <summary>
/// A grain that passes a chain of calls on: called for hop <c>n - 1</c> of a path, it calls hop <c>n</c> and answers with
/// the keys of the grains the chain went through. A one-way call, which answers nothing, reports how the rest of the
/// chain ended to <see cref="ChainReports"/>, under the key of the grain it called.
/// </summary>
public interface IChainGrain : IGrainWithStringKey
{
    Task<string> Run(Hop[] path, int next);

    [ReadOnly]
    Task<string> RunReadOnly(Hop[] path, int next);

    [AlwaysInterleave]
    Task<string> RunInterleaved(Hop[] path, int next);

    [OneWay]
    Task RunOneWay(Hop[] path, int next, string report);

    /// <summary>Runs the path from a grain timer's tick (interleaving or not) and reports how it ended.</summary>
    Task RunFromTimer(Hop[] path, int next, bool interleave, string report);

    /// <summary>The silo this activation runs on.</summary>
    [AlwaysInterleave]
    Task<SiloAddress> Silo();
}

public interface INonReentrantChainGrain : IChainGrain;

public interface IReentrantChainGrain : IChainGrain;

public interface IStatelessWorkerChainGrain : IChainGrain;

/// <summary>How chains whose first call was one-way (or a timer's tick) ended: the keys they went through, or the exception.</summary>
public static class ChainReports
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<string>> Reports = new();

    public static Task<string> For(string report) => Completion(report).Task;

    public static void Complete(string report, Task<string> outcome) => outcome.ContinueWith(
        t =>
        {
            if (t.IsFaulted)
            {
                Completion(report).TrySetException(t.Exception!.InnerExceptions);
            }
            else
            {
                Completion(report).TrySetResult(t.Result);
            }
        },
        TaskScheduler.Default);

    private static TaskCompletionSource<string> Completion(string report) =>
        Reports.GetOrAdd(report, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
}

public abstract class ChainGrain(ILocalSiloDetails silo) : Grain, IChainGrain
{
    private IGrainTimer? _timer;

    public Task<string> Run(Hop[] path, int next) => ContinueAsync(path, next);

    public Task<string> RunReadOnly(Hop[] path, int next) => ContinueAsync(path, next);

    public Task<string> RunInterleaved(Hop[] path, int next) => ContinueAsync(path, next);

    public Task RunOneWay(Hop[] path, int next, string report)
    {
        ChainReports.Complete(report, ContinueAsync(path, next));
        return Task.CompletedTask;
    }

    public Task RunFromTimer(Hop[] path, int next, bool interleave, string report)
    {
        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(() =>
        {
            var outcome = ContinueAsync(path, next);
            ChainReports.Complete(report, outcome);
            return outcome.ContinueWith(_ => { }, TaskScheduler.Current); // the timer itself never fails
        }, new GrainTimerCreationOptions(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan) { Interleave = interleave });
        return Task.CompletedTask;
    }

    public Task<SiloAddress> Silo() => Task.FromResult(silo.SiloAddress);

    private async Task<string> ContinueAsync(Hop[] path, int next)
    {
        var me = this.GetPrimaryKeyString();
        if (next >= path.Length)
        {
            return me;
        }
        if (next > 0 && path[next - 1].AllowsReentrancy)
        {
            using (RequestContext.AllowCallChainReentrancy())
            {
                return $"{me} > {await CallAsync(path, next)}";
            }
        }
        return $"{me} > {await CallAsync(path, next)}";
    }

    private async Task<string> CallAsync(Hop[] path, int next)
    {
        var hop = path[next];
        var target = Get(GrainFactory, hop);
        if (hop.Silo is { } placed)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, placed);
        }
        else
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
        switch (hop.Call)
        {
            case ChainCall.RunReadOnly:
                return await target.RunReadOnly(path, next + 1);
            case ChainCall.RunInterleaved:
                return await target.RunInterleaved(path, next + 1);
            case ChainCall.RunOneWay:
                await target.RunOneWay(path, next + 1, report: hop.Key);
                return $"(one-way: reported as {hop.Key})";
            default:
                return await target.Run(path, next + 1);
        }
    }

    /// <summary>The grain of a hop.</summary>
    public static IChainGrain Get(IGrainFactory grains, Hop hop) => hop.Kind switch
    {
        ChainGrainKind.Reentrant => grains.GetGrain<IReentrantChainGrain>(hop.Key),
        ChainGrainKind.StatelessWorker => grains.GetGrain<IStatelessWorkerChainGrain>(hop.Key),
        _ => grains.GetGrain<INonReentrantChainGrain>(hop.Key),
    };
}

public sealed class NonReentrantChainGrain(ILocalSiloDetails silo) : ChainGrain(silo), INonReentrantChainGrain;

[Reentrant]
public sealed class ReentrantChainGrain(ILocalSiloDetails silo) : ChainGrain(silo), IReentrantChainGrain;

[StatelessWorker]
public sealed class StatelessWorkerChainGrain(ILocalSiloDetails silo) : ChainGrain(silo), IStatelessWorkerChainGrain;
