using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Operations;

/// <summary>
/// Aggregates the measurements of the configured meters with a <see cref="MeterListener"/> and renders them in the
/// Prometheus text format (0.0.4): counters as <c>_total</c>, up-down counters and gauges as gauges, histograms with
/// cumulative buckets. Units become name suffixes (<c>s</c> → <c>_seconds</c>, <c>ms</c> → <c>_milliseconds</c>).
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] MillisecondsBuckets = SecondsBuckets.Select(b => b * 1000).ToArray();
    private static readonly double[] DefaultBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly HashSet<string> _meters;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly Lock _collect = new();

    public PrometheusExporter(IOptions<MetricsOptions> options)
    {
        _meters = options.Value.Meters.ToHashSet(StringComparer.Ordinal);
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentBinding)state!).Record(value, tags));
        _listener.Start();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_meters.Contains(instrument.Meter.Name))
        {
            return;
        }
        var (kind, mode) = Classify(instrument);
        if (kind is null)
        {
            return;
        }
        var baseName = Sanitize(instrument.Name) + UnitSuffix(instrument.Unit);
        var name = kind == MetricKind.Counter ? baseName + "_total" : baseName;
        var family = _families.GetOrAdd(name, n => new MetricFamily(n, kind.Value, instrument.Description ?? instrument.Name, BucketsFor(instrument.Unit)));
        if (family.Kind != kind)
        {
            return; // two instruments of different kinds want one name: keep the first
        }
        var meterTags = instrument.Meter.Tags?.Select(t => (Sanitize(t.Key), Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")).ToArray() ?? [];
        listener.EnableMeasurementEvents(instrument, new InstrumentBinding(family, mode, meterTags));
    }

    private static (MetricKind? Kind, RecordMode Mode) Classify(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return (null, default);
        }
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Counter<>))
        {
            return (MetricKind.Counter, RecordMode.Add);
        }
        if (definition == typeof(ObservableCounter<>))
        {
            return (MetricKind.Counter, RecordMode.Set);
        }
        if (definition == typeof(UpDownCounter<>))
        {
            return (MetricKind.Gauge, RecordMode.Add);
        }
        if (definition == typeof(ObservableUpDownCounter<>) || definition == typeof(ObservableGauge<>) || definition.Name.StartsWith("Gauge", StringComparison.Ordinal))
        {
            return (MetricKind.Gauge, RecordMode.Set);
        }
        if (definition == typeof(Histogram<>))
        {
            return (MetricKind.Histogram, RecordMode.Observe);
        }
        return (null, default);
    }

    /// <summary>The current values of every exported series, in the Prometheus text format.</summary>
    public string Render()
    {
        lock (_collect)
        {
            _listener.RecordObservableInstruments();
        }
        var text = new StringBuilder(4096);
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            family.WriteTo(text);
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static double[] BucketsFor(string? unit) => unit switch
    {
        "s" => SecondsBuckets,
        "ms" => MillisecondsBuckets,
        _ => DefaultBuckets,
    };

    private static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "_seconds",
        "ms" => "_milliseconds",
        "By" => "_bytes",
        _ => "",
    };

    /// <summary>Prometheus names: letters, digits and underscores, not starting with a digit.</summary>
    internal static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }
        return builder.ToString();
    }

    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private enum MetricKind
    {
        Counter,
        Gauge,
        Histogram,
    }

    private enum RecordMode
    {
        Add,
        Set,
        Observe,
    }

    /// <summary>What one instrument feeds: its family, how values combine, and its meter's tags.</summary>
    private sealed class InstrumentBinding(MetricFamily family, RecordMode mode, (string Key, string Value)[] meterTags)
    {
        // Measurements happen on every request: find the series by the tags themselves, without building label text.
        private readonly ConcurrentDictionary<TagKey, MetricSeries> _byTags = new();

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            MetricSeries series;
            if (tags.Length <= TagKey.Capacity)
            {
                var key = new TagKey(tags);
                if (!_byTags.TryGetValue(key, out series!))
                {
                    series = family.Series(Labels(tags));
                    _byTags.TryAdd(key, series);
                }
            }
            else
            {
                series = family.Series(Labels(tags));
            }
            switch (mode)
            {
                case RecordMode.Add:
                    series.Add(value);
                    break;
                case RecordMode.Set:
                    series.Set(value);
                    break;
                default:
                    series.Observe(value);
                    break;
            }
        }

        /// <summary>The label text (<c>a="1",b="2"</c>), meter tags first, then the measurement's tags sorted by key.</summary>
        private string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0 && meterTags.Length == 0)
            {
                return "";
            }
            var pairs = new (string Key, string Value)[meterTags.Length + tags.Length];
            meterTags.CopyTo(pairs, 0);
            for (var i = 0; i < tags.Length; i++)
            {
                pairs[meterTags.Length + i] = (Sanitize(tags[i].Key), Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
            }
            Array.Sort(pairs, meterTags.Length, tags.Length, LabelOrder.Instance);
            var text = new StringBuilder();
            foreach (var (key, value) in pairs)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }
                text.Append(key).Append("=\"").Append(EscapeLabelValue(value)).Append('"');
            }
            return text.ToString();
        }
    }

    /// <summary>Up to four tags, compared by key and value, as a dictionary key that needs no allocation.</summary>
    private readonly struct TagKey : IEquatable<TagKey>
    {
        public const int Capacity = 4;

        private readonly int _count;
        private readonly KeyValuePair<string, object?> _t0, _t1, _t2, _t3;

        public TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            _count = tags.Length;
            _t0 = tags.Length > 0 ? tags[0] : default;
            _t1 = tags.Length > 1 ? tags[1] : default;
            _t2 = tags.Length > 2 ? tags[2] : default;
            _t3 = tags.Length > 3 ? tags[3] : default;
        }

        public bool Equals(TagKey other) =>
            _count == other._count && Same(_t0, other._t0) && Same(_t1, other._t1) && Same(_t2, other._t2) && Same(_t3, other._t3);

        public override bool Equals(object? obj) => obj is TagKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_count, Hash(_t0), Hash(_t1), Hash(_t2), Hash(_t3));

        private static bool Same(KeyValuePair<string, object?> a, KeyValuePair<string, object?> b) =>
            string.Equals(a.Key, b.Key, StringComparison.Ordinal) && Equals(a.Value, b.Value);

        private static int Hash(KeyValuePair<string, object?> tag) => HashCode.Combine(tag.Key, tag.Value);
    }

    private sealed class LabelOrder : IComparer<(string Key, string Value)>
    {
        public static LabelOrder Instance { get; } = new();

        public int Compare((string Key, string Value) x, (string Key, string Value) y) => string.CompareOrdinal(x.Key, y.Key);
    }

    /// <summary>One exported metric name and its series by label set.</summary>
    private sealed class MetricFamily(string name, MetricKind kind, string help, double[] buckets)
    {
        private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);

        public string Name { get; } = name;

        public MetricKind Kind { get; } = kind;

        public MetricSeries Series(string labels) =>
            _series.TryGetValue(labels, out var series) ? series : _series.GetOrAdd(labels, _ => new MetricSeries(Kind == MetricKind.Histogram ? buckets : null));

        public void WriteTo(StringBuilder text)
        {
            if (_series.IsEmpty)
            {
                return;
            }
            text.Append("# HELP ").Append(Name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(Kind switch
            {
                MetricKind.Counter => "counter",
                MetricKind.Gauge => "gauge",
                _ => "histogram",
            }).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (Kind == MetricKind.Histogram)
                {
                    series.WriteHistogram(text, Name, labels, buckets);
                }
                else
                {
                    text.Append(Name);
                    if (labels.Length > 0)
                    {
                        text.Append('{').Append(labels).Append('}');
                    }
                    text.Append(' ').Append(FormatValue(series.Value)).Append('\n');
                }
            }
        }
    }

    /// <summary>One series: a value (counters, gauges) or bucket counts, sum and count (histograms).</summary>
    private sealed class MetricSeries(double[]? buckets)
    {
        private readonly long[]? _bucketCounts = buckets is null ? null : new long[buckets.Length + 1];
        private readonly Lock _lock = new();
        private double _value;
        private double _sum;
        private long _count;

        public double Value => Volatile.Read(ref _value);

        public void Add(double delta)
        {
            double current, updated;
            do
            {
                current = Volatile.Read(ref _value);
                updated = current + delta;
            }
            while (Interlocked.CompareExchange(ref _value, updated, current) != current);
        }

        public void Set(double value) => Volatile.Write(ref _value, value);

        public void Observe(double value)
        {
            var index = Array.BinarySearch(buckets!, value);
            if (index < 0)
            {
                index = ~index; // the first bound above the value
            }
            lock (_lock)
            {
                _bucketCounts![index]++;
                _sum += value;
                _count++;
            }
        }

        public void WriteHistogram(StringBuilder text, string name, string labels, double[] bounds)
        {
            long[] counts;
            double sum;
            long count;
            lock (_lock)
            {
                counts = (long[])_bucketCounts!.Clone();
                sum = _sum;
                count = _count;
            }
            var prefix = labels.Length > 0 ? labels + "," : "";
            long cumulative = 0;
            for (var i = 0; i < bounds.Length; i++)
            {
                cumulative += counts[i];
                text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(FormatValue(bounds[i])).Append("\"} ").Append(cumulative).Append('\n');
            }
            text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"+Inf\"} ").Append(count).Append('\n');
            var suffix = labels.Length > 0 ? "{" + labels + "}" : "";
            text.Append(name).Append("_sum").Append(suffix).Append(' ').Append(FormatValue(sum)).Append('\n');
            text.Append(name).Append("_count").Append(suffix).Append(' ').Append(count).Append('\n');
        }
    }
}
