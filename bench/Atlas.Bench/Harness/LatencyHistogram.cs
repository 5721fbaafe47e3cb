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
    public LatencySummary Summarize() => Summarize(Counts());

    /// <summary>The count per bucket, merged over threads (kept by <see cref="LoadResult"/> so that rounds can be pooled).</summary>
    public long[] Counts()
    {
        lock (_all)
        {
            return Merge([.. _all]);
        }
    }

    /// <summary>Several histograms' <see cref="Counts"/> added up, as if every duration had been recorded in one.</summary>
    public static long[] Merge(IEnumerable<long[]> histograms)
    {
        var merged = new long[BucketCount];
        foreach (var counts in histograms)
        {
            for (var i = 0; i < BucketCount; i++)
            {
                merged[i] += counts[i];
            }
        }
        return merged;
    }

    /// <summary>The percentiles of <see cref="Counts"/> (or of a <see cref="Merge"/> of them).</summary>
    public static LatencySummary Summarize(long[] counts)
    {
        var total = counts.Sum();
        return new LatencySummary(total, ValueAt(counts, total, 0.50), ValueAt(counts, total, 0.99), ValueAt(counts, total, 0.999), ValueAt(counts, total, 1.0));
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
