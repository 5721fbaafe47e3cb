using System.Diagnostics;
using System.Numerics;

namespace Atlas.Bench.Harness;

/// <summary>
/// A log-linear histogram of durations in <see cref="Stopwatch"/> ticks: 32 sub-buckets per power of two, so a
/// percentile is reported within about 3 %. Recording is lock-free and contention-free (one array per thread),
/// so the histogram costs the same for every system under test.
/// </summary>
public sealed class LatencyHistogram : IDisposable
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int BucketCount = (64 - SubBucketBits + 1) * SubBuckets;

    // Kept apart from the ThreadLocal so that counts survive a pool thread retiring mid-measurement.
    private readonly List<long[]> _all = [];
    private readonly ThreadLocal<long[]> _perThread;

    public LatencyHistogram()
    {
        _perThread = new ThreadLocal<long[]>(() =>
        {
            var counts = new long[BucketCount];
            lock (_all)
            {
                _all.Add(counts);
            }
            return counts;
        });
    }

    public void Record(long ticks) => _perThread.Value![IndexOf(Math.Max(0, ticks))]++;

    public void Dispose() => _perThread.Dispose();

    /// <summary>Merges the threads' counts: call once recording has stopped.</summary>
    public LatencySummary Summarize()
    {
        var merged = new long[BucketCount];
        long[][] all;
        lock (_all)
        {
            all = [.. _all];
        }
        foreach (var counts in all)
        {
            for (var i = 0; i < BucketCount; i++)
            {
                merged[i] += counts[i];
            }
        }
        var total = merged.Sum();
        return new LatencySummary(total, ValueAt(merged, total, 0.50), ValueAt(merged, total, 0.99), ValueAt(merged, total, 0.999), ValueAt(merged, total, 1.0));
    }

    private static double ValueAt(long[] counts, long total, double quantile)
    {
        if (total == 0)
        {
            return double.NaN;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return ToMicroseconds(MidpointOf(i));
            }
        }
        return ToMicroseconds(MidpointOf(counts.Length - 1));
    }

    private static int IndexOf(long ticks)
    {
        if (ticks < SubBuckets)
        {
            return (int)ticks;
        }
        var highestBit = 63 - BitOperations.LeadingZeroCount((ulong)ticks);
        var shift = highestBit - SubBucketBits;
        var sub = (int)(ticks >> shift) & (SubBuckets - 1);
        return ((shift + 1) << SubBucketBits) + sub;
    }

    private static double MidpointOf(int index)
    {
        var bucket = index >> SubBucketBits;
        var sub = index & (SubBuckets - 1);
        if (bucket == 0)
        {
            return sub;
        }
        var shift = bucket - 1;
        var lower = (double)((long)(sub | SubBuckets) << shift);
        return lower + (1L << shift) / 2.0;
    }

    private static double ToMicroseconds(double ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}

/// <summary>Percentiles of one measurement, in microseconds.</summary>
public sealed record LatencySummary(long Count, double P50Micros, double P99Micros, double P999Micros, double MaxMicros);
