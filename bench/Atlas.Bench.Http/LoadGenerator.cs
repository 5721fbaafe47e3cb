using System.Diagnostics;
using System.Net;

namespace Atlas.Bench.Http;

/// <summary>
/// A closed-loop load generator: <c>connections</c> workers, each on its own keep-alive connection
/// (<see cref="RawHttpConnection"/>), sending one request, reading the whole response, then sending the next.
/// Requests during the warm-up are not counted; during the measurement every latency is kept, so percentiles are exact.
/// </summary>
public sealed class LoadGenerator(IPEndPoint endpoint, int connections)
{
    /// <summary>Writes worker <paramref name="worker"/>'s <paramref name="sequence"/>-th request into <paramref name="destination"/>; returns its length.</summary>
    public delegate int RequestWriter(int worker, long sequence, Span<byte> destination);

    private const int MaxRequestBytes = 8 * 1024;

    public async Task<LoadResult> RunAsync(RequestWriter write, TimeSpan warmup, TimeSpan measure)
    {
        var state = new RunState();
        var workers = new Worker[connections];
        for (var i = 0; i < connections; i++)
        {
            workers[i] = new Worker(i, await RawHttpConnection.ConnectAsync(endpoint), write, state);
        }
        var tasks = workers.Select(w => Task.Run(w.RunAsync)).ToArray();

        await Task.Delay(warmup);
        Volatile.Write(ref state.Phase, RunState.Measuring);
        var started = Stopwatch.GetTimestamp();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var pausedBefore = GC.GetTotalPauseDuration();
        var gen2Before = GC.CollectionCount(2);
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        await Task.Delay(measure);
        Volatile.Write(ref state.Phase, RunState.Stopped);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        await Task.WhenAll(tasks);

        return LoadResult.From(
            workers.SelectMany(w => w.Latencies).ToArray(),
            elapsed,
            cpu,
            paused,
            gen2,
            allocated,
            workers.Sum(w => w.Errors),
            workers.SelectMany(w => w.ErrorSamples).Take(5).ToArray());
    }

    /// <summary>Sends requests 0 … <paramref name="count"/>-1 once each, unmeasured; returns how many failed.</summary>
    public async Task<int> PrimeAsync(int count, Func<int, byte[]> request)
    {
        var failures = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            using var connection = await RawHttpConnection.ConnectAsync(endpoint);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                if (await connection.SendAsync(request(i)) is < 200 or >= 300)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        return failures;
    }

    private sealed class RunState
    {
        public const int Measuring = 1;
        public const int Stopped = 2;

        public int Phase;
    }

    private sealed class Worker(int id, RawHttpConnection connection, RequestWriter write, RunState state)
    {
        public List<long> Latencies { get; } = new(1 << 16);

        public int Errors { get; private set; }

        public List<string> ErrorSamples { get; } = [];

        public async Task RunAsync()
        {
            using var _ = connection;
            var buffer = new byte[MaxRequestBytes];
            long sequence = 0;
            while (true)
            {
                var phase = Volatile.Read(ref state.Phase);
                if (phase == RunState.Stopped)
                {
                    return;
                }
                var length = write(id, sequence++, buffer);
                var started = Stopwatch.GetTimestamp();
                int status;
                string? failure = null;
                try
                {
                    status = await connection.SendAsync(buffer.AsMemory(0, length));
                }
                catch (Exception exception)
                {
                    status = 0;
                    failure = exception.GetType().Name + ": " + exception.Message;
                }
                var ticks = Stopwatch.GetTimestamp() - started;
                if (phase != RunState.Measuring || Volatile.Read(ref state.Phase) != RunState.Measuring)
                {
                    if (failure is not null)
                    {
                        return; // the connection is gone; a warm-up failure shows in the measured count
                    }
                    continue;
                }
                if (status is >= 200 and < 300)
                {
                    Latencies.Add(ticks);
                    continue;
                }
                Errors++;
                if (ErrorSamples.Count < 3)
                {
                    ErrorSamples.Add(failure ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                if (failure is not null)
                {
                    return;
                }
            }
        }
    }
}

/// <summary>The latencies (Stopwatch ticks) of the successful requests of a measurement, its length, and the failures.</summary>
/// <remarks>
/// <see cref="CpuTime"/> is this process's CPU time during the measurement (server and generator): per request it
/// says what a request costs, which the machine's other load does not change the way it changes throughput.
/// </remarks>
public sealed record LoadResult(long[] Latencies, TimeSpan Elapsed, TimeSpan CpuTime, TimeSpan GcPause, int Gen2Collections, long AllocatedBytes, int Errors, string[] ErrorSamples)
{
    public double CpuMicrosecondsPerRequest => Latencies.Length == 0 ? double.NaN : CpuTime.TotalMicroseconds / Latencies.Length;

    public double RequestsPerSecond => Latencies.Length / Elapsed.TotalSeconds;

    public double P50Ms => Percentile(0.50);

    public double P99Ms => Percentile(0.99);

    public long Requests => Latencies.Length;

    public static LoadResult From(long[] latencies, TimeSpan elapsed, TimeSpan cpu, TimeSpan paused, int gen2, long allocated, int errors, string[] samples)
    {
        Array.Sort(latencies);
        return new LoadResult(latencies, elapsed, cpu, paused, gen2, allocated, errors, samples);
    }

    public double AllocatedBytesPerRequest => Latencies.Length == 0 ? double.NaN : (double)AllocatedBytes / Latencies.Length;

    /// <summary>Several measurements as one: all their requests over all their time.</summary>
    public static LoadResult Combine(IReadOnlyList<LoadResult> results) => From(
        results.SelectMany(r => r.Latencies).ToArray(),
        TimeSpan.FromTicks(results.Sum(r => r.Elapsed.Ticks)),
        TimeSpan.FromTicks(results.Sum(r => r.CpuTime.Ticks)),
        TimeSpan.FromTicks(results.Sum(r => r.GcPause.Ticks)),
        results.Sum(r => r.Gen2Collections),
        results.Sum(r => r.AllocatedBytes),
        results.Sum(r => r.Errors),
        results.SelectMany(r => r.ErrorSamples).Take(5).ToArray());

    private double Percentile(double p) =>
        Latencies.Length == 0 ? double.NaN : Latencies[Math.Min(Latencies.Length - 1, (int)Math.Ceiling(p * Latencies.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
}
