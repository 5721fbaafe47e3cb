using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Atlas.Bench.Harness;

/// <summary>
/// The result of one scenario, printed as the run's last line: Atlas's figures, the baseline's figures from the same
/// run, the headline ratio (and how it is defined), and each target with whether it was met.
/// </summary>
public sealed class BenchReport(string scenario, BenchSettings settings)
{
    private readonly List<JsonObject> _targets = [];

    /// <summary>Atlas's figures.</summary>
    public JsonObject Atlas { get; } = new();

    /// <summary>The baseline's figures, measured in the same run.</summary>
    public JsonObject Baseline { get; } = new();

    /// <summary>What the baseline is.</summary>
    public string? BaselineDescription { get; set; }

    /// <summary>The headline ratio (by default Atlas ÷ baseline of a throughput figure).</summary>
    public double? Ratio { get; set; }

    /// <summary>How <see cref="Ratio"/> is computed, spelled out in the output.</summary>
    public string? RatioDefinition { get; set; }

    /// <summary>Further ratios by name (e.g. one per load shape).</summary>
    public JsonObject Ratios { get; } = new();

    /// <summary>Anything else worth keeping: parameters, rounds, notes.</summary>
    public JsonObject Details { get; } = new();

    public bool AllTargetsMet => _targets.All(t => t["met"]!.GetValue<bool>());

    /// <summary>Adds a target: <paramref name="value"/> must be at least <paramref name="minimum"/>.</summary>
    public bool AddMinimumTarget(string name, double value, double minimum, string unit = "") => AddTarget(name, value, ">=", minimum, unit, value >= minimum);

    /// <summary>Adds a target: <paramref name="value"/> must be at most <paramref name="maximum"/>.</summary>
    public bool AddMaximumTarget(string name, double value, double maximum, string unit = "") => AddTarget(name, value, "<=", maximum, unit, value <= maximum);

    /// <summary>Adds a target: <paramref name="value"/> must stay below <paramref name="limit"/>.</summary>
    public bool AddBelowTarget(string name, double value, double limit, string unit = "") => AddTarget(name, value, "<", limit, unit, value < limit);

    private bool AddTarget(string name, double value, string comparison, double threshold, string unit, bool met)
    {
        var target = new JsonObject
        {
            ["name"] = name,
            ["value"] = Figure(value),
            ["target"] = $"{comparison} {threshold}{(unit.Length > 0 ? " " + unit : "")}",
            ["met"] = met,
        };
        _targets.Add(target);
        return met;
    }

    public string ToJsonLine(TimeSpan elapsed)
    {
        var root = new JsonObject
        {
            ["scenario"] = scenario,
            ["mode"] = settings.Mode,
            ["atlas"] = Atlas,
            ["baseline"] = Baseline,
            ["baseline_description"] = BaselineDescription,
            ["ratio"] = Ratio is { } ratio ? Figure(ratio) : null,
            ["ratio_definition"] = RatioDefinition,
        };
        if (Ratios.Count > 0)
        {
            root["ratios"] = Ratios;
        }
        root["targets"] = new JsonArray([.. _targets]);
        root["met"] = AllTargetsMet;
        if (Details.Count > 0)
        {
            root["details"] = Details;
        }
        root["environment"] = new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["runtime"] = Environment.Version.ToString(),
            ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["server_gc"] = System.Runtime.GCSettings.IsServerGC,
            // This process over the whole run: long pauses explain gaps that a shared machine's load does not.
            ["gc_pause_s"] = Math.Round(GC.GetTotalPauseDuration().TotalSeconds, 2),
            ["gc_gen2_collections"] = GC.CollectionCount(2),
            ["load_average_1m"] = LoadAverage(),
        };
        root["elapsed_s"] = Math.Round(elapsed.TotalSeconds, 1);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>The machine's 1-minute load average as the run ends (Linux), null elsewhere: how shared the cores were.</summary>
    private static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>A figure for the JSON: rounded, and null if it could not be measured (NaN).</summary>
    public static JsonNode? Figure(double value) => double.IsFinite(value) ? JsonValue.Create(Round(value)) : null;

    /// <summary>Rounds a figure to 4 significant digits (JSON readers do not need nanosecond noise).</summary>
    public static double Round(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value == 0)
        {
            return value;
        }
        var digits = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(Math.Abs(value))));
        return Math.Round(value, Math.Min(digits, 15));
    }
}
