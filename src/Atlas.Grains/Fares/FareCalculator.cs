namespace Atlas.Grains.Fares;

using Atlas.Grains.Common;
using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;

/// <summary>How a fare divides between the driver and the platform; the two always add up to the fare.</summary>
public readonly record struct FareSplit(Money DriverShare, Money PlatformCommission)
{
    public Money Total => DriverShare + PlatformCommission;
}

/// <summary>A quote shown before the ride: straight-line distance, estimated duration and the fare for them.</summary>
public readonly record struct FareEstimate(long DistanceMeters, TimeSpan Duration, Money Fare);

/// <summary>Prices rides from a <see cref="FarePolicy"/> with integer arithmetic only.</summary>
public static class FareCalculator
{
    /// <summary>
    /// <c>max(minimum, base + round(perKm × metres / 1000) + round(perMinute × seconds / 60))</c>.
    /// </summary>
    /// <remarks>
    /// Distance and time parts are each rounded to a whole minor unit, half up, before summing, so a receipt listing
    /// them line by line adds up. <paramref name="duration"/> is first rounded to whole seconds, half up.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Distance or duration is negative.</exception>
    /// <exception cref="OverflowException">The fare does not fit in a <see cref="long"/>.</exception>
    public static Money Estimate(FarePolicy policy, long distanceMeters, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(distanceMeters);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);

        var seconds = IntegerRounding.DivideHalfAwayFromZero(duration.Ticks, TimeSpan.TicksPerSecond);
        var distancePart = IntegerRounding.DivideHalfAwayFromZero((Int128)policy.PerKmMinor * distanceMeters, 1000);
        var timePart = IntegerRounding.DivideHalfAwayFromZero((Int128)policy.PerMinuteMinor * seconds, 60);
        var total = checked(policy.BaseFareMinor + distancePart + timePart);
        return new Money(Math.Max(total, policy.MinimumFareMinor), policy.Currency);
    }

    /// <summary>Quotes a trip before it happens, from the straight-line distance and an average speed.</summary>
    /// <remarks>Straight-line distance underestimates road distance; until a routing engine exists it is what we have.</remarks>
    public static FareEstimate EstimateTrip(
        FarePolicy policy,
        GeoPoint pickup,
        GeoPoint dropoff,
        double averageSpeedKmh = TripDurationEstimator.DefaultAverageSpeedKmh)
    {
        var meters = (long)Math.Round(GeoMath.DistanceMeters(pickup, dropoff), MidpointRounding.AwayFromZero);
        var duration = TripDurationEstimator.Estimate(meters, averageSpeedKmh);
        return new FareEstimate(meters, duration, Estimate(policy, meters, duration));
    }

    /// <summary>
    /// Splits a fare: the commission is <see cref="FarePolicy.CommissionBasisPoints"/> of the fare rounded half away
    /// from zero, and the driver gets the rest, so nothing is lost or created by rounding.
    /// </summary>
    /// <exception cref="CurrencyMismatchException">The fare is not in the policy's currency.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The fare is negative.</exception>
    public static FareSplit Split(Money fare, FarePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (fare.Currency != policy.Currency)
        {
            throw new CurrencyMismatchException(fare.Currency, policy.Currency);
        }

        if (fare.IsNegative)
        {
            throw new ArgumentOutOfRangeException(nameof(fare), fare, "A fare to split must not be negative.");
        }

        var commission = fare.ShareInBasisPoints(policy.CommissionBasisPoints);
        return new FareSplit(fare - commission, commission);
    }

    /// <summary>The fee charged when a rider cancels after a driver was assigned.</summary>
    public static Money CancellationFee(FarePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new Money(policy.CancellationFeeMinor, policy.Currency);
    }
}
