using System.Diagnostics;

namespace Atlas.Bench.Harness;

/// <summary>One operation of a caller: <c>(caller index, iteration of that caller)</c> → the call's task.</summary>
public delegate Task CallTarget(int caller, long iteration);

/// <summary>How a load is applied.</summary>
/// <param name="Callers">Concurrent callers, each awaiting its call before making the next (closed loop).</param>
/// <param name="Duration">The measured window.</param>
/// <param name="Ramp">Time the callers run before the window opens (so it sees a steady state).</param>
/// <param name="RecordLatency">Time calls into a <see cref="LatencyHistogram"/>.</param>
/// <param name="LatencySampleEvery">
/// Time every n-th call of each caller (default 8): a clock read costs 50-120 ns on the project's VMs, as much as a
/// whole local call, so timing every call would mostly measure the clock. Throughput counts every call.
/// </param>
/// <param name="MeasureAllocations">Read <see cref="GC.GetTotalAllocatedBytes"/> (precise) at both ends of the window.</param>
/// <param name="WindowOpened">Runs as the window opens (e.g. to read CPU times of other processes).</param>
/// <param name="WindowClosed">Runs as the window closes, before the callers stop.</param>
public sealed record LoadSpec(int Callers, TimeSpan Duration, TimeSpan Ramp, bool RecordLatency = true, bool MeasureAllocations = false, int LatencySampleEvery = 8,
    Action? WindowOpened = null, Action? WindowClosed = null);

/// <summary>What one measured window saw.</summary>
public sealed record LoadResult(long Calls, TimeSpan Elapsed, LatencySummary? Latency, double? AllocatedBytesPerCall)
{
    public double CallsPerSecond => Calls / Elapsed.TotalSeconds;

    /// <summary>The latency histogram's buckets (see <see cref="LatencyHistogram.Counts"/>), so that windows can be pooled.</summary>
    public long[]? LatencyCounts { get; init; }

    /// <summary>
    /// Several windows as one: all their calls over all their time, percentiles over every timed call of them all,
    /// allocation over all their calls (latency and allocation only if every window has them).
    /// </summary>
    public static LoadResult Pool(IReadOnlyList<LoadResult> windows)
    {
        ArgumentOutOfRangeException.ThrowIfZero(windows.Count);
        var calls = windows.Sum(w => w.Calls);
        var counts = windows.All(w => w.LatencyCounts is not null) ? LatencyHistogram.Merge(windows.Select(w => w.LatencyCounts!)) : null;
        double? allocated = windows.All(w => w.AllocatedBytesPerCall is not null) && calls > 0
            ? windows.Sum(w => w.AllocatedBytesPerCall!.Value * w.Calls) / calls
            : null;
        return new LoadResult(calls, TimeSpan.FromTicks(windows.Sum(w => w.Elapsed.Ticks)), counts is null ? null : LatencyHistogram.Summarize(counts), allocated)
        {
            LatencyCounts = counts,
        };
    }

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{CallsPerSecond,12:N0} calls/s{(Latency is { } l ? $"  p50 {l.P50Micros,8:0.0} µs  p99 {l.P99Micros,9:0.0} µs" : "")}{(AllocatedBytesPerCall is { } b ? $"  {b:0.0} B/call" : "")}");
}

/// <summary>
/// Closed-loop load: N callers, each calling, awaiting, and calling again until stopped. Calls are counted (and
/// timed, and allocations measured) only inside a window that opens after a ramp, so start-up and wind-down are
/// left out. Allocation is measured process-wide (<see cref="GC.GetTotalAllocatedBytes"/>), since the work of one
/// call spans threads; use a window without latency recording for it.
/// </summary>
public static class LoadGenerator
{
    // One cache line and more per caller, so that publishing a count does not slow the neighbours.
    private const int Stride = 16;

    public static async Task<LoadResult> RunAsync(LoadSpec spec, CallTarget call)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Callers, 1);
        var run = new Run(spec.Callers);
        using var histogram = spec.RecordLatency ? new LatencyHistogram() : null;
        var callers = new Task[spec.Callers];
        for (var i = 0; i < spec.Callers; i++)
        {
            callers[i] = CallerAsync(i, call, run, histogram, Math.Max(1, spec.LatencySampleEvery));
        }

        // The window is opened and closed by a thread of its own: a continuation after Task.Delay would be queued to the
        // thread pool's global queue, which pool threads only serve when their local queues run dry — under closed-loop
        // load on Orleans (whose work items prefer local queues) they never do, and a 0.4 s window lasted 10 s and more.
        var window = new TaskCompletionSource<(long CountBefore, long CountAfter, TimeSpan Elapsed, long AllocatedBefore, long AllocatedAfter)>(
            TaskCreationOptions.RunContinuationsAsynchronously);
        var controller = new Thread(() =>
        {
            try
            {
                Thread.Sleep(spec.Ramp);
                long allocatedBefore = spec.MeasureAllocations ? GC.GetTotalAllocatedBytes(precise: true) : 0;
                spec.WindowOpened?.Invoke();
                var countBefore = run.TotalCalls();
                var started = Stopwatch.GetTimestamp();
                run.Recording = true;

                Thread.Sleep(spec.Duration);

                run.Recording = false;
                var elapsed = Stopwatch.GetElapsedTime(started);
                var countAfter = run.TotalCalls();
                spec.WindowClosed?.Invoke();
                long allocatedAfter = spec.MeasureAllocations ? GC.GetTotalAllocatedBytes(precise: true) : 0;
                window.SetResult((countBefore, countAfter, elapsed, allocatedBefore, allocatedAfter));
            }
            catch (Exception exception)
            {
                window.SetException(exception);
            }
            finally
            {
                run.Stop = true;
            }
        })
        {
            IsBackground = true,
            Name = "load window",
        };
        controller.Start();
        var (countBefore, countAfter, elapsed, allocatedBefore, allocatedAfter) = await window.Task;
        await Task.WhenAll(callers);

        var calls = countAfter - countBefore;
        var counts = histogram?.Counts();
        return new LoadResult(
            calls,
            elapsed,
            counts is null ? null : LatencyHistogram.Summarize(counts),
            spec.MeasureAllocations && calls > 0 ? (allocatedAfter - allocatedBefore) / (double)calls : null)
        {
            LatencyCounts = counts,
        };
    }

    private static async Task CallerAsync(int caller, CallTarget call, Run run, LatencyHistogram? histogram, int sampleEvery)
    {
        // Leave the starting thread at once: callers then start from the pool, like independent clients.
        await Task.Yield();
        var slot = caller * Stride;
        long iteration = 0;
        // Callers start their sampling at different offsets, so samples do not all fall in the same instants.
        var untilSample = caller % sampleEvery;
        while (!run.Stop)
        {
            if (histogram is not null && untilSample-- == 0)
            {
                untilSample = sampleEvery - 1;
                var start = Stopwatch.GetTimestamp();
                await call(caller, iteration).ConfigureAwait(false);
                if (run.Recording)
                {
                    histogram.Record(Stopwatch.GetTimestamp() - start);
                }
            }
            else
            {
                await call(caller, iteration).ConfigureAwait(false);
            }
            iteration++;
            Volatile.Write(ref run.Counts[slot], iteration);
        }
    }

    private sealed class Run(int callers)
    {
        public readonly long[] Counts = new long[callers * Stride];
        public volatile bool Stop;
        public volatile bool Recording;

        public long TotalCalls()
        {
            long total = 0;
            for (var i = 0; i < Counts.Length; i += Stride)
            {
                total += Volatile.Read(ref Counts[i]);
            }
            return total;
        }
    }
}
