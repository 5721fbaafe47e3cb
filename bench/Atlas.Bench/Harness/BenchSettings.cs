using System.Globalization;

namespace Atlas.Bench.Harness;

/// <summary>The command line of one benchmark run: which scenario, and how long to spend on it.</summary>
public sealed class BenchSettings
{
    /// <summary>Short rounds so that the scenario finishes in well under a minute (default false: full rounds).</summary>
    public bool Quick { get; init; }

    /// <summary>Measured rounds; null lets each scenario pick its default for the mode.</summary>
    public int? Rounds { get; init; }

    /// <summary>Scales every measuring and warm-up period of a scenario (default 1).</summary>
    public double TimeScale { get; init; } = 1;

    /// <summary>Samples which types are allocated during allocation windows (default false).</summary>
    public bool ProfileAllocations { get; init; }

    public string Mode => Quick ? "quick" : "full";

    /// <summary>The scenario's value for the current mode, unless overridden on the command line.</summary>
    public int RoundsOr(int quick, int full) => Rounds ?? (Quick ? quick : full);

    /// <summary>A period for the current mode, scaled by <see cref="TimeScale"/>.</summary>
    public TimeSpan Period(TimeSpan quick, TimeSpan full) => (Quick ? quick : full) * TimeScale;

    /// <summary>Parses <c>[--quick] [--rounds N] [--time-scale X] [--profile-allocations]</c>; returns null (with a message) on anything else.</summary>
    public static BenchSettings? Parse(IReadOnlyList<string> options, out string? error)
    {
        var quick = false;
        int? rounds = null;
        var scale = 1.0;
        var profile = false;
        error = null;
        for (var i = 0; i < options.Count; i++)
        {
            switch (options[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--profile-allocations":
                    profile = true;
                    break;
                case "--rounds" when i + 1 < options.Count && int.TryParse(options[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0:
                    rounds = r;
                    i++;
                    break;
                case "--time-scale" when i + 1 < options.Count && double.TryParse(options[i + 1], CultureInfo.InvariantCulture, out var s) && s > 0:
                    scale = s;
                    i++;
                    break;
                default:
                    error = $"Unknown or incomplete option '{options[i]}'.";
                    return null;
            }
        }
        return new BenchSettings { Quick = quick, Rounds = rounds, TimeScale = scale, ProfileAllocations = profile };
    }
}
