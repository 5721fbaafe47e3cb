namespace Atlas.Grains.Markets;

/// <summary>
/// A city's surge settings, multipliers in basis points (10 000 = ×1.0): the multiplier of a cell is
/// <c>1 + sensitivity × (requests / max(drivers, 1) − 1)</c>, rounded down to the step, between 1 and the maximum,
/// and exactly 1 while fewer than <see cref="MinRequests"/> requests are open or when surge is off.
/// </summary>
public sealed record SurgePolicy(bool Enabled, TimeSpan Window, int MaxBasisPoints, int StepBasisPoints, int SensitivityBasisPoints, int MinRequests)
{
    /// <summary>The multiplier for <paramref name="openRequests"/> against <paramref name="availableDrivers"/>, in basis points.</summary>
    public int MultiplierBasisPoints(int openRequests, int availableDrivers)
    {
        if (!Enabled || openRequests < MinRequests)
        {
            return SurgeMultiplier.None;
        }
        var drivers = Math.Max(availableDrivers, 1);
        if (openRequests <= drivers)
        {
            return SurgeMultiplier.None;
        }
        // Integer arithmetic, rounded down: never a multiplier above what the counts justify.
        var excess = (long)SensitivityBasisPoints * (openRequests - drivers) / drivers;
        var raw = SurgeMultiplier.None + excess;
        var stepped = SurgeMultiplier.None + (raw - SurgeMultiplier.None) / StepBasisPoints * StepBasisPoints;
        return (int)Math.Min(stepped, MaxBasisPoints);
    }
}

/// <summary>Surge multipliers as basis points, so that prices stay integer arithmetic.</summary>
public static class SurgeMultiplier
{
    /// <summary>×1.0: no surge.</summary>
    public const int None = 10_000;

    public static int ToBasisPoints(decimal multiplier) => (int)(multiplier * 10_000m);

    public static decimal FromBasisPoints(int basisPoints) => basisPoints / 10_000m;

    internal static bool IsWholeBasisPoints(decimal value) => decimal.Truncate(value * 10_000m) == value * 10_000m;

    /// <summary>
    /// <paramref name="fare"/> times the multiplier, rounded half away from zero to a whole minor unit; exactly
    /// <paramref name="fare"/> at <see cref="None"/>.
    /// </summary>
    public static Monetary.Money Apply(Monetary.Money fare, int basisPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(basisPoints, None);
        return basisPoints == None
            ? fare
            : new Monetary.Money(Common.IntegerRounding.DivideHalfAwayFromZero((Int128)fare.Minor * basisPoints, None), fare.Currency);
    }
}
