using System.Diagnostics.Metrics;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>Adds up what one counter of <c>Atlas.Streams</c> records, per value of one tag, while it is alive.</summary>
internal sealed class CounterListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _byTag = new(StringComparer.Ordinal);

    public CounterListener(string meter, string instrument, string tag)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == meter && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var key = "";
            foreach (var t in tags)
            {
                if (t.Key == tag)
                {
                    key = t.Value?.ToString() ?? "";
                }
            }
            lock (_byTag)
            {
                _byTag[key] = _byTag.GetValueOrDefault(key) + value;
            }
        });
        _listener.Start();
    }

    public long this[string tagValue]
    {
        get
        {
            lock (_byTag)
            {
                return _byTag.GetValueOrDefault(tagValue);
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
