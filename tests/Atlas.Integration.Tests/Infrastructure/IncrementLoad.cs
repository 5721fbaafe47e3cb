using System.Collections.Concurrent;
using System.Diagnostics;
using Atlas.Grains.Diagnostics;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>
/// Steady load of stored writes: every grain of <see cref="Keys"/> gets an <see cref="IProbeGrain.Increment"/> every
/// <see cref="Period"/>, issued on schedule whether or not the previous ones have answered (open loop: a call that hangs
/// on a dead or frozen silo does not delay the next, so the first answer after a failure is seen when it happens).
/// Every call is recorded with when it was issued and when and how it ended. The tests keep the load moderate (36 grains,
/// 5 calls a second each): the machine's two cores also run three silos, the API and other work, and a load that
/// starves them measures the machine rather than the cluster.
/// </summary>
public sealed class IncrementLoad : IAsyncDisposable
{
    /// <summary>
    /// Calls of one grain that may be outstanding at once; past it the grain's next call waits for one to end. Calls to a
    /// hung silo end only when they time out: enough for a response timeout's worth of calls.
    /// </summary>
    private const int MaxOutstandingPerGrain = 200;

    private readonly IGrainFactory _grains;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Call>> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _callers = [];
    private readonly ConcurrentBag<Task> _inFlight = [];

    public IncrementLoad(IGrainFactory grains, IReadOnlyList<string> keys, TimeSpan period)
    {
        _grains = grains;
        Keys = keys;
        Period = period;
        foreach (var key in keys)
        {
            _calls[key] = new ConcurrentQueue<Call>();
        }
    }

    public IReadOnlyList<string> Keys { get; }

    public TimeSpan Period { get; }

    /// <summary>Milliseconds since the load was created: the clock of every record.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>One call: issued at, ended at (ms of <see cref="Clock"/>), the stored count it returned or the exception it failed with.</summary>
    public sealed record Call(long IssuedAt, long EndedAt, long? Value, Exception? Error);

    public IReadOnlyList<Call> CallsOf(string key) => _calls[key].ToArray();

    public IEnumerable<Call> AllCalls => _calls.Values.SelectMany(c => c);

    public void Start()
    {
        foreach (var key in Keys)
        {
            _callers.Add(Task.Run(() => CallAsync(key)));
        }
    }

    private async Task CallAsync(string key)
    {
        var probe = _grains.GetGrain<IProbeGrain>(key);
        // Not disposed: calls still in flight release it after this loop ends.
        var outstanding = new SemaphoreSlim(MaxOutstandingPerGrain);
        // Grains start out of phase, so that the load is even over the period.
        using var timer = new PeriodicTimer(Period);
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next((int)Period.TotalMilliseconds)));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await outstanding.WaitAsync(_stop.Token);
                var issuedAt = Clock.ElapsedMilliseconds;
                _inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        var value = await probe.Increment();
                        _calls[key].Enqueue(new Call(issuedAt, Clock.ElapsedMilliseconds, value, null));
                    }
                    catch (Exception exception)
                    {
                        _calls[key].Enqueue(new Call(issuedAt, Clock.ElapsedMilliseconds, null, exception));
                    }
                    finally
                    {
                        outstanding.Release();
                    }
                }));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops issuing calls and waits until every call issued has ended (answered, failed or timed out).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
        await Task.WhenAll(_inFlight);
    }

    /// <summary>Whether every grain of <paramref name="keys"/> has an acknowledged call issued at or after <paramref name="since"/>.</summary>
    public bool AllAnsweredSince(IEnumerable<string> keys, long since) =>
        keys.All(k => _calls[k].Any(c => c.Value is not null && c.IssuedAt >= since));

    /// <summary>For each grain, when (ms after <paramref name="since"/>) a call issued at or after it was first acknowledged.</summary>
    public IReadOnlyDictionary<string, long> FirstAnswerAfter(IEnumerable<string> keys, long since) => keys.ToDictionary(k => k, k =>
        _calls[k].Where(c => c.Value is not null && c.IssuedAt >= since).Select(c => c.EndedAt - since).DefaultIfEmpty(long.MaxValue).Min());

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        _stop.Dispose();
    }
}
