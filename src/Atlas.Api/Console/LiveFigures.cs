using Atlas.Api.Admin;

namespace Atlas.Api.Console;

/// <summary>
/// The figures beside the map over a sliding window (<see cref="ConsoleOptions.MetricsWindow"/>), plus totals since the
/// API started following the feed. Not thread-safe: <see cref="LiveCity"/> calls it under its lock.
/// </summary>
internal sealed class LiveFigures(TimeSpan window)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly Queue<DateTimeOffset> _requested = new();
    private readonly Queue<(DateTimeOffset At, double Seconds)> _matched = new();
    private readonly Queue<DateTimeOffset> _cancelled = new();
    private readonly Queue<DateTimeOffset> _noDriver = new();
    private readonly Queue<DateTimeOffset> _finished = new();
    private readonly Queue<(DateTimeOffset At, string Currency, long Minor)> _revenue = new();
    private readonly SortedDictionary<string, long> _revenueTotal = new(StringComparer.Ordinal);
    private long _requestedTotal, _cancelledTotal, _finishedTotal;

    public void Requested(DateTimeOffset at)
    {
        _requested.Enqueue(at);
        _requestedTotal++;
    }

    public void Matched(DateTimeOffset at, TimeSpan afterRequest) => _matched.Enqueue((at, Math.Max(0, afterRequest.TotalSeconds)));

    public void Cancelled(DateTimeOffset at)
    {
        _cancelled.Enqueue(at);
        _cancelledTotal++;
    }

    public void NoDriver(DateTimeOffset at) => _noDriver.Enqueue(at);

    public void Finished(DateTimeOffset at)
    {
        _finished.Enqueue(at);
        _finishedTotal++;
    }

    public void Revenue(DateTimeOffset at, string currency, long minor)
    {
        _revenue.Enqueue((at, currency, minor));
        _revenueTotal[currency] = _revenueTotal.GetValueOrDefault(currency) + minor;
    }

    /// <summary>Forgets what fell out of the window. Events arrive roughly in time order; a late one leaves with the next trim.</summary>
    public void Trim(DateTimeOffset now)
    {
        var from = now - window;
        TrimQueue(_requested, t => t, from);
        TrimQueue(_matched, m => m.At, from);
        TrimQueue(_cancelled, t => t, from);
        TrimQueue(_noDriver, t => t, from);
        TrimQueue(_finished, t => t, from);
        TrimQueue(_revenue, r => r.At, from);
    }

    private static void TrimQueue<T>(Queue<T> queue, Func<T, DateTimeOffset> at, DateTimeOffset from)
    {
        while (queue.TryPeek(out var first) && at(first) < from)
        {
            queue.Dequeue();
        }
    }

    public ConsoleMetrics Read(DateTimeOffset now, DateTimeOffset since, int openRides, ConsoleDriverCounts drivers)
    {
        var from = now - window;
        var lastMinute = now - Minute;
        var waits = _matched.Where(m => m.At >= from).Select(m => m.Seconds).Order().ToArray();
        var revenue = _revenue.Where(r => r.At >= from).GroupBy(r => r.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AmountDetails(g.Sum(r => r.Minor), g.Key)).ToArray();
        return new ConsoleMetrics(
            _requested.Count(t => t >= lastMinute),
            Percentile(waits, 0.50),
            Percentile(waits, 0.95),
            _requested.Count(t => t >= from),
            waits.Length,
            _cancelled.Count(t => t >= from),
            _noDriver.Count(t => t >= from),
            _finished.Count(t => t >= from),
            revenue,
            _revenueTotal.Select(r => new AmountDetails(r.Value, r.Key)).ToArray(),
            _requestedTotal,
            _cancelledTotal,
            _finishedTotal,
            openRides,
            drivers,
            window.TotalSeconds,
            since);
    }

    /// <summary>Nearest-rank percentile of sorted values, rounded to 0.1 s; null without values.</summary>
    private static double? Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return null;
        }
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)], 1);
    }
}
