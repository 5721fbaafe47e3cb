namespace Atlas.Grains.Geo;

/// <summary>Strictly increasing search radii in metres for a widening nearest-driver search.</summary>
/// <remarks>
/// Small first, because a small radius touches few index cells and is usually enough in a busy city;
/// the last step is the farthest a driver may be offered from.
/// </remarks>
public sealed class RadiusSteps
{
    /// <exception cref="ArgumentException">
    /// <paramref name="meters"/> is empty, or a step is not finite and positive, or the steps are not strictly increasing.
    /// </exception>
    public RadiusSteps(IEnumerable<double> meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var steps = meters.ToArray();
        if (steps.Length == 0)
        {
            throw new ArgumentException("At least one radius step is required.", nameof(meters));
        }

        for (var i = 0; i < steps.Length; i++)
        {
            if (!double.IsFinite(steps[i]) || steps[i] <= 0)
            {
                throw new ArgumentException(
                    $"Radius step {i} must be a finite number of metres above 0, but was {steps[i]}.", nameof(meters));
            }

            if (i > 0 && steps[i] <= steps[i - 1])
            {
                throw new ArgumentException(
                    $"Radius steps must be strictly increasing, but step {i} ({steps[i]}) follows {steps[i - 1]}.",
                    nameof(meters));
            }
        }

        Meters = Array.AsReadOnly(steps);
    }

    /// <summary>1 km, 2.5 km, 5 km.</summary>
    public static RadiusSteps Default { get; } = new([1000, 2500, 5000]);

    public IReadOnlyList<double> Meters { get; }

    /// <summary>The widest radius searched.</summary>
    public double MaxMeters => Meters[^1];

    public override string ToString() =>
        string.Join(", ", Meters.Select(static m => m.ToString(System.Globalization.CultureInfo.InvariantCulture))) + " m";
}
