using System.Diagnostics;

namespace Atlas.Bench.Geo;

/// <summary>What a timed, concurrent run did: operations, elapsed time, and each operation's latency.</summary>
internal sealed class RunResult
{
    public RunResult(long operations, TimeSpan elapsed, long[] latencyTicks)
    {
        Operations = operations;
        Elapsed = elapsed;
        Array.Sort(latencyTicks);
        _latencies = latencyTicks;
    }

    private readonly long[] _latencies;

    public long Operations { get; }

    public TimeSpan Elapsed { get; }

    public double PerSecond => Operations / Elapsed.TotalSeconds;

    /// <summary>The latency below which <paramref name="percent"/> % of operations finished, in ms (nearest rank).</summary>
    public double PercentileMs(double percent)
    {
        if (_latencies.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(percent / 100 * _latencies.Length) - 1;
        return _latencies[Math.Clamp(rank, 0, _latencies.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> (given a running index) from <paramref name="concurrency"/> loops until
    /// <paramref name="duration"/> has passed, timing each call.
    /// </summary>
    public static async Task<RunResult> TimedAsync(int concurrency, TimeSpan duration, Func<long, Task> operation)
    {
        long next = -1;
        var perLoop = new List<long>[concurrency];
        var clock = Stopwatch.StartNew();
        var deadline = duration.Ticks;
        var loops = Enumerable.Range(0, concurrency).Select(loop => Task.Run(async () =>
        {
            var latencies = perLoop[loop] = new List<long>(1 << 14);
            while (clock.Elapsed.Ticks < deadline)
            {
                var index = Interlocked.Increment(ref next);
                var started = Stopwatch.GetTimestamp();
                await operation(index);
                latencies.Add(Stopwatch.GetTimestamp() - started);
            }
        })).ToArray();
        await Task.WhenAll(loops);
        var elapsed = clock.Elapsed;
        var all = perLoop.SelectMany(l => l).ToArray();
        return new RunResult(all.Length, elapsed, all);
    }
}
