using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Atlas.Bench.Harness;

/// <summary>
/// Which types are allocated, sampled from the runtime's GC allocation ticks (one event per ~100 KB allocated, naming
/// the type that crossed the mark): over many calls, each type's share of the ticks is its share of the bytes.
/// Turned on by <c>--profile-allocations</c>; costs little, but do not combine it with timing figures.
/// </summary>
public sealed class AllocationProfiler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    // Field initializers run before the base constructor, which may already deliver events.
    private readonly ConcurrentDictionary<string, long> _ticksByType = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }
        var index = eventData.PayloadNames.IndexOf("TypeName");
        var type = index >= 0 ? eventData.Payload?[index] as string ?? "?" : "?";
        _ticksByType.AddOrUpdate(type, 1, (_, n) => n + 1);
    }

    /// <summary>Prints the most sampled types with their share, and that share of <paramref name="bytesPerCall"/>.</summary>
    public void Report(BenchLog log, string label, double bytesPerCall, int top = 8)
    {
        foreach (var line in Lines(label, bytesPerCall, top))
        {
            log.Progress(line);
        }
    }

    /// <summary>The lines <see cref="Report"/> prints (for a child process, which hands them to its parent).</summary>
    public IReadOnlyList<string> Lines(string label, double bytesPerCall, int top = 8)
    {
        var snapshot = _ticksByType.ToArray();
        var total = snapshot.Sum(p => p.Value);
        if (total == 0)
        {
            return [$"{label}: no allocation samples"];
        }
        var lines = new List<string> { $"{label}: {total} allocation samples" };
        foreach (var (type, ticks) in snapshot.OrderByDescending(p => p.Value).Take(top))
        {
            var share = ticks / (double)total;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"    {share,6:P1}  ~{share * bytesPerCall,6:0.0} B/call  {type}"));
        }
        return lines;
    }
}
