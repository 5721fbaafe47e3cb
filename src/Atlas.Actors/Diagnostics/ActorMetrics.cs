using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Atlas.Actors.Diagnostics;

/// <summary>
/// The runtime's instruments (meter <c>Atlas.Actors</c>, tagged with the silo or client name): calls, latency,
/// activations, queue lengths, timeouts and call cycles.
/// </summary>
internal sealed class ActorMetrics : IDisposable
{
    public const string MeterName = "Atlas.Actors";

    private readonly Meter _meter;
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _timeouts;
    private readonly Counter<long> _cycles;
    private readonly Counter<long> _activationsCreated;
    private long _activations;

    /// <param name="owner">The silo or client name the measurements are tagged with.</param>
    /// <param name="queuedRequests">
    /// Counts the requests waiting in mailboxes when the gauge is observed: counting on every enqueue and dequeue
    /// instead would put a contended interlocked add on every call, listener or not.
    /// </param>
    public ActorMetrics(string owner, Func<long> queuedRequests)
    {
        _meter = new Meter(MeterName, "1.0", [new KeyValuePair<string, object?>("atlas.node", owner)]);
        _calls = _meter.CreateCounter<long>("atlas.grain.calls", "{call}", "Grain requests completed by this node's activations.");
        _latency = _meter.CreateHistogram<double>("atlas.grain.call.duration", "ms", "Time from sending a request to its completion at the activation.");
        _timeouts = _meter.CreateCounter<long>("atlas.grain.call.timeouts", "{call}", "Grain calls that timed out.");
        _cycles = _meter.CreateCounter<long>("atlas.grain.call.cycles", "{call}", "Grain calls refused because they closed a call cycle.");
        _activationsCreated = _meter.CreateCounter<long>("atlas.activations.created", "{activation}", "Activations created.");
        _meter.CreateObservableGauge("atlas.activations", () => Volatile.Read(ref _activations), "{activation}", "Live activations.");
        _meter.CreateObservableGauge("atlas.activation.queue.length", queuedRequests, "{request}", "Requests waiting in activation mailboxes.");
    }

    public long Activations => Volatile.Read(ref _activations);

    /// <summary>Whether call latency is being listened to (callers then record their send time).</summary>
    public bool LatencyEnabled => _latency.Enabled;

    public void CallCompleted(long sentTimestamp)
    {
        _calls.Add(1);
        if (_latency.Enabled && sentTimestamp != 0)
        {
            _latency.Record(Stopwatch.GetElapsedTime(sentTimestamp).TotalMilliseconds);
        }
    }

    public void CallTimedOut() => _timeouts.Add(1);

    public void CallCycle() => _cycles.Add(1);

    public void ActivationCreated()
    {
        Interlocked.Increment(ref _activations);
        _activationsCreated.Add(1);
    }

    public void ActivationRemoved() => Interlocked.Decrement(ref _activations);

    public void Dispose() => _meter.Dispose();
}
