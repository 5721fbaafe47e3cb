using System.Globalization;
using Atlas.Simulator.Command;

namespace Atlas.Simulator.Figures;

/// <summary>Prints one line of the running totals every few seconds while the clock runs.</summary>
public sealed class ProgressReporter : IDisposable
{
    private readonly SimulationFigures _figures;
    private readonly string _transport;
    private readonly Action<string> _log;
    private readonly Timer _timer;
    private long _lastPositions, _lastRequests;
    private TimeSpan _lastAt;
    private int _disposed;

    public ProgressReporter(SimulationFigures figures, SimulatorOptions options, string transport, Action<string> log)
    {
        (_figures, _transport, _log) = (figures, transport, log);
        _timer = new Timer(_ => Report(), null, options.ProgressEvery, options.ProgressEvery);
    }

    private void Report()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        var f = _figures;
        var at = f.Elapsed;
        var seconds = Math.Max((at - _lastAt).TotalSeconds, 0.001);
        var (positions, requests) = (f.Positions, f.ApiRequests);
        var match = f.TimeToMatch.Percentiles(50, 95);
        var api = f.ApiLatency.Percentiles(99);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"[{at.TotalSeconds,4:0}s] rides requested {f.RidesRequested}, matched {f.RidesMatched}, finished {f.RidesFinished}, no driver {f.RidesNoDriver} | " +
            $"time to match p50 {Ms(match[0])} p95 {Ms(match[1])} | drivers online {f.DriversOnline} | positions {(positions - _lastPositions) / seconds:0}/s ({_transport}) | " +
            $"api {(requests - _lastRequests) / seconds:0} req/s, p99 {Ms(api[0])} | errors {f.Errors}"));
        (_lastPositions, _lastRequests, _lastAt) = (positions, requests, at);
    }

    internal static string Ms(double milliseconds) =>
        double.IsNaN(milliseconds) ? "-" : milliseconds.ToString(milliseconds < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms";

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _timer.Dispose();
        }
    }
}
