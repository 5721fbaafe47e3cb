namespace Atlas.Grains.Fares;

/// <summary>Estimates how long a drive takes from its distance, for quotes and pickup ETAs before real trip data exists.</summary>
public static class TripDurationEstimator
{
    /// <summary>Typical urban average including stops.</summary>
    public const double DefaultAverageSpeedKmh = 30;

    /// <summary>Distance at a constant average speed, rounded to whole seconds (half away from zero).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The distance is negative or not finite, or the speed is not finite and positive.</exception>
    public static TimeSpan Estimate(double distanceMeters, double averageSpeedKmh = DefaultAverageSpeedKmh)
    {
        if (!double.IsFinite(distanceMeters) || distanceMeters < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(distanceMeters), distanceMeters, "Distance must be a finite, non-negative number of metres.");
        }

        if (!double.IsFinite(averageSpeedKmh) || averageSpeedKmh <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(averageSpeedKmh), averageSpeedKmh, "Average speed must be a finite number of km/h above 0.");
        }

        // km/h → m/s is a division by 3.6.
        var seconds = Math.Round(distanceMeters * 3.6 / averageSpeedKmh, MidpointRounding.AwayFromZero);
        return TimeSpan.FromSeconds(seconds);
    }
}
