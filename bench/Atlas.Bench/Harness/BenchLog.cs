using System.Diagnostics;
using System.Globalization;

namespace Atlas.Bench.Harness;

/// <summary>Progress lines, prefixed with the time since the run started (the result line is written separately).</summary>
public sealed class BenchLog
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Progress(string message) =>
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}"));
}
