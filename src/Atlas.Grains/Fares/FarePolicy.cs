namespace Atlas.Grains.Fares;

using Atlas.Grains.Monetary;

/// <summary>Prices of one vehicle type in one city; every amount is in minor units of <see cref="Currency"/>.</summary>
/// <remarks>
/// Amounts are <see cref="long"/> minor units (cents) rather than <see cref="Money"/> so a policy holds a
/// single currency by construction. Validation sits in the init accessors, so <c>with</c> cannot bypass it.
/// </remarks>
[GenerateSerializer, Immutable, Alias("atlas.FarePolicy")]
public sealed record FarePolicy
{
    /// <exception cref="ArgumentOutOfRangeException">An amount is negative or the commission is outside 0..10 000 basis points.</exception>
    public FarePolicy(
        Currency currency,
        long baseFareMinor,
        long perKmMinor,
        long perMinuteMinor,
        long minimumFareMinor,
        int commissionBasisPoints,
        long cancellationFeeMinor)
    {
        Currency = currency;
        BaseFareMinor = baseFareMinor;
        PerKmMinor = perKmMinor;
        PerMinuteMinor = perMinuteMinor;
        MinimumFareMinor = minimumFareMinor;
        CommissionBasisPoints = commissionBasisPoints;
        CancellationFeeMinor = cancellationFeeMinor;
    }

    /// <summary>100 % in basis points.</summary>
    public const int MaxCommissionBasisPoints = 10_000;

    [Id(0)]
    public Currency Currency { get; init; }

    /// <summary>Charged once per ride, before distance and time.</summary>
    [Id(1)]
    public long BaseFareMinor { get; init => field = NonNegative(value, "baseFareMinor"); }

    /// <summary>Price of one kilometre (1 000 m); shorter distances are charged pro rata.</summary>
    [Id(2)]
    public long PerKmMinor { get; init => field = NonNegative(value, "perKmMinor"); }

    /// <summary>Price of one minute (60 s); shorter durations are charged pro rata.</summary>
    [Id(3)]
    public long PerMinuteMinor { get; init => field = NonNegative(value, "perMinuteMinor"); }

    /// <summary>Floor for the whole fare, so very short rides still pay for the pickup.</summary>
    [Id(4)]
    public long MinimumFareMinor { get; init => field = NonNegative(value, "minimumFareMinor"); }

    /// <summary>Platform share of a fare in basis points (2 000 = 20 %), 0..10 000.</summary>
    [Id(5)]
    public int CommissionBasisPoints
    {
        get;
        init => field = value is >= 0 and <= MaxCommissionBasisPoints
            ? value
            : throw new ArgumentOutOfRangeException(
                "commissionBasisPoints", value, "Commission must be between 0 and 10000 basis points (0-100 %).");
    }

    /// <summary>Charged to a rider who cancels after a driver was assigned.</summary>
    [Id(6)]
    public long CancellationFeeMinor { get; init => field = NonNegative(value, "cancellationFeeMinor"); }

    private static long NonNegative(long value, string parameterName) =>
        value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(parameterName, value, "Fare amounts must not be negative.");
}
