using System.Diagnostics;
using System.Net;

namespace Atlas.Bench.Http;

/// <summary>
/// A closed-loop load generator: <c>connections</c> workers, each with its own connection (the handler allows exactly
/// that many), sending one request, reading the whole response, then sending the next. Requests during the warm-up
/// are not counted; during the measurement every latency is kept, so percentiles are exact.
/// </summary>
public sealed class LoadGenerator(Uri baseAddress, int connections)
{
    /// <summary>Builds worker <paramref name="worker"/>'s <paramref name="sequence"/>-th request.</summary>
    public delegate HttpRequestMessage RequestFactory(int worker, long sequence);

    public async Task<LoadResult> RunAsync(RequestFactory next, TimeSpan warmup, TimeSpan measure, CancellationToken cancellationToken = default)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var state = new RunState();
        var workers = new Worker[connections];
        for (var i = 0; i < connections; i++)
        {
            workers[i] = new Worker(i, client, next, state);
        }
        var tasks = workers.Select(w => Task.Run(w.RunAsync, cancellationToken)).ToArray();

        await Task.Delay(warmup, cancellationToken);
        Volatile.Write(ref state.Phase, RunState.Measuring);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(measure, cancellationToken);
        Volatile.Write(ref state.Phase, RunState.Stopped);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await Task.WhenAll(tasks);

        var latencies = workers.SelectMany(w => w.Latencies).ToArray();
        Array.Sort(latencies);
        var errors = workers.Sum(w => w.Errors);
        return new LoadResult(
            latencies.Length / elapsed.TotalSeconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Length,
            errors,
            workers.SelectMany(w => w.ErrorSamples).Take(5).ToArray());
    }

    /// <summary>Sends every request once, unmeasured (e.g. to register every driver before the clock runs).</summary>
    public async Task<int> PrimeAsync(IReadOnlyList<Func<HttpRequestMessage>> requests)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false, UseCookies = false };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var failures = 0;
        var index = -1;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref index)) < requests.Count)
            {
                using var request = requests[i]();
                using var response = await client.SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        return failures;
    }

    private static double Percentile(long[] sortedTicks, double p) =>
        sortedTicks.Length == 0 ? double.NaN : sortedTicks[Math.Min(sortedTicks.Length - 1, (int)Math.Ceiling(p * sortedTicks.Length) - 1)] * 1000.0 / Stopwatch.Frequency;

    private sealed class RunState
    {
        public const int WarmingUp = 0;
        public const int Measuring = 1;
        public const int Stopped = 2;

        public int Phase;
    }

    private sealed class Worker(int id, HttpClient client, RequestFactory next, RunState state)
    {
        public List<long> Latencies { get; } = new(1 << 16);

        public int Errors { get; private set; }

        public List<string> ErrorSamples { get; } = [];

        public async Task RunAsync()
        {
            var buffer = new byte[4096];
            long sequence = 0;
            while (true)
            {
                var phase = Volatile.Read(ref state.Phase);
                if (phase == RunState.Stopped)
                {
                    return;
                }
                using var request = next(id, sequence++);
                var started = Stopwatch.GetTimestamp();
                var ok = false;
                string? failure = null;
                try
                {
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var body = await response.Content.ReadAsStreamAsync();
                    while (await body.ReadAsync(buffer) > 0)
                    {
                    }
                    ok = response.IsSuccessStatusCode;
                    failure = ok ? null : $"{(int)response.StatusCode}";
                }
                catch (Exception exception)
                {
                    failure = exception.GetType().Name + ": " + exception.Message;
                }
                var ticks = Stopwatch.GetTimestamp() - started;
                if (phase == RunState.Measuring && Volatile.Read(ref state.Phase) == RunState.Measuring)
                {
                    if (ok)
                    {
                        Latencies.Add(ticks);
                    }
                    else
                    {
                        Errors++;
                        if (ErrorSamples.Count < 3)
                        {
                            ErrorSamples.Add(failure!);
                        }
                    }
                }
            }
        }
    }
}

/// <summary>Successful requests per second over the measurement, latency percentiles in ms, and the failures.</summary>
public sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, int Errors, string[] ErrorSamples);
