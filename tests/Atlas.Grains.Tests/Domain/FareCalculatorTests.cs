using Atlas.Grains.Markets;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;

namespace Atlas.Grains.Tests.Domain;

using Atlas.Grains.Monetary;

public class FareCalculatorTests
{
    private static readonly FarePolicy Economy = BuiltInMarket.VehicleClasses[0].Fare; // 250 + 120/km + 30/min, min 500

    // No base and no minimum, so rounding of the distance and time parts is visible on its own.
    private static FarePolicy Rates(long perKm, long perMinute) => new(Currency.Eur, 0, perKm, perMinute, 0, 2_000, 0);

    [Fact]
    public void Fare_is_base_plus_distance_plus_time()
    {
        var fare = FareCalculator.Estimate(Economy, 10_000, TimeSpan.FromMinutes(20));

        Assert.Equal(new Money(250 + 1_200 + 600, Currency.Eur), fare);
        Assert.Equal("20.50 EUR", fare.ToString());
    }

    [Fact]
    public void Short_rides_pay_the_minimum_fare()
    {
        // 250 + 60 + 30 = 340 < 500
        Assert.Equal(new Money(500, Currency.Eur), FareCalculator.Estimate(Economy, 500, TimeSpan.FromSeconds(60)));
        Assert.Equal(new Money(500, Currency.Eur), FareCalculator.Estimate(Economy, 0, TimeSpan.Zero));
    }

    [Fact]
    public void A_fare_just_above_the_minimum_is_not_raised()
    {
        // 250 + 240 + 30 = 520
        Assert.Equal(new Money(520, Currency.Eur), FareCalculator.Estimate(Economy, 2_000, TimeSpan.FromMinutes(1)));
    }

    [Theory]
    [InlineData(120, 1_004, 120)] // 120.48
    [InlineData(120, 1_005, 121)] // 120.6
    [InlineData(125, 4, 1)] // 0.5 rounds up
    [InlineData(125, 3, 0)] // 0.375
    [InlineData(125, 12, 2)] // 1.5 rounds up
    [InlineData(999, 1, 1)] // 0.999
    [InlineData(1, 499, 0)] // 0.499
    [InlineData(1, 500, 1)] // 0.5
    public void Distance_part_is_rounded_half_up_to_a_minor_unit(long perKm, long meters, long expected)
    {
        Assert.Equal(expected, FareCalculator.Estimate(Rates(perKm, 0), meters, TimeSpan.Zero).Minor);
    }

    [Theory]
    [InlineData(30, 1, 1)] // 0.5
    [InlineData(30, 59, 30)] // 29.5
    [InlineData(30, 3, 2)] // 1.5
    [InlineData(40, 1, 1)] // 0.667
    [InlineData(20, 1, 0)] // 0.333
    [InlineData(30, 3_600, 1_800)]
    public void Time_part_is_rounded_half_up_to_a_minor_unit(long perMinute, int seconds, long expected)
    {
        Assert.Equal(expected, FareCalculator.Estimate(Rates(0, perMinute), 0, TimeSpan.FromSeconds(seconds)).Minor);
    }

    [Fact]
    public void Distance_and_time_parts_are_rounded_separately_before_summing()
    {
        // 0.5 + 0.5: each part rounds up to 1, so 2, where rounding the sum (1.0) would give 1.
        Assert.Equal(2, FareCalculator.Estimate(Rates(125, 30), 4, TimeSpan.FromSeconds(1)).Minor);
        // 0.4 + 0.4 = 0.8 would round to 1 as a sum; line by line it is 0 + 0.
        Assert.Equal(0, FareCalculator.Estimate(Rates(100, 24), 4, TimeSpan.FromSeconds(1)).Minor);
    }

    [Theory]
    [InlineData(1_400, 0)] // 1.4 s → 1 s → 0.33
    [InlineData(1_500, 1)] // 1.5 s → 2 s → 0.67
    public void Duration_is_rounded_to_whole_seconds_half_up(int milliseconds, long expected)
    {
        Assert.Equal(expected, FareCalculator.Estimate(Rates(0, 20), 0, TimeSpan.FromMilliseconds(milliseconds)).Minor);
    }

    [Fact]
    public void Negative_distance_or_duration_is_refused()
    {
        Assert.Equal(
            "distanceMeters",
            Assert.Throws<ArgumentOutOfRangeException>(() => FareCalculator.Estimate(Economy, -1, TimeSpan.Zero)).ParamName);
        Assert.Equal(
            "duration",
            Assert.Throws<ArgumentOutOfRangeException>(() => FareCalculator.Estimate(Economy, 0, TimeSpan.FromSeconds(-1))).ParamName);
    }

    [Fact]
    public void Absurd_inputs_overflow_loudly_instead_of_wrapping()
    {
        var policy = Rates(long.MaxValue / 10, 0);

        Assert.Throws<OverflowException>(() => FareCalculator.Estimate(policy, 1_000_000, TimeSpan.Zero));
    }

    [Fact]
    public void Fare_is_in_the_policy_currency()
    {
        var policy = new FarePolicy(Currency.Gbp, 100, 100, 10, 0, 1_500, 0);

        Assert.Equal(Currency.Gbp, FareCalculator.Estimate(policy, 1_000, TimeSpan.Zero).Currency);
    }

    [Theory]
    [InlineData(2_050, 2_000, 1_640, 410)]
    [InlineData(1, 5_000, 0, 1)] // 0.5 commission rounds up
    [InlineData(3, 2_000, 2, 1)] // 0.6
    [InlineData(2, 2_000, 2, 0)] // 0.4
    [InlineData(999, 0, 999, 0)]
    [InlineData(999, 10_000, 0, 999)]
    [InlineData(0, 2_000, 0, 0)]
    public void Split_gives_the_platform_its_commission_and_the_driver_the_rest(
        long fare, int commissionBasisPoints, long driver, long platform)
    {
        var policy = Economy with { CommissionBasisPoints = commissionBasisPoints };

        var (driverShare, platformCommission) = FareCalculator.Split(new Money(fare, Currency.Eur), policy);

        Assert.Equal(new Money(driver, Currency.Eur), driverShare);
        Assert.Equal(new Money(platform, Currency.Eur), platformCommission);
    }

    [Fact]
    public void Split_always_sums_exactly_to_the_fare()
    {
        var random = new Random(1_234);
        for (var i = 0; i < 10_000; i++)
        {
            var fare = new Money(i < 100 ? i : random.NextInt64(0, 1_000_000_000_000), Currency.Eur);
            var policy = Economy with { CommissionBasisPoints = random.Next(0, 10_001) };

            var split = FareCalculator.Split(fare, policy);

            Assert.Equal(fare, split.DriverShare + split.PlatformCommission);
            Assert.Equal(fare, split.Total);
            Assert.False(split.DriverShare.IsNegative);
            Assert.False(split.PlatformCommission.IsNegative);
        }
    }

    [Fact]
    public void Split_refuses_a_fare_in_another_currency()
    {
        var error = Assert.Throws<CurrencyMismatchException>(
            () => FareCalculator.Split(new Money(1_000, Currency.Usd), Economy));

        Assert.Equal(Currency.Usd, error.Left);
        Assert.Equal(Currency.Eur, error.Right);
    }

    [Fact]
    public void Split_refuses_a_negative_fare()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FareCalculator.Split(new Money(-1, Currency.Eur), Economy));
    }

    [Fact]
    public void Cancellation_fee_comes_from_the_policy()
    {
        Assert.Equal(new Money(300, Currency.Eur), FareCalculator.CancellationFee(Economy));
    }

    [Theory]
    [InlineData(10_000, 30, 1_200)] // 10 km at 30 km/h: 20 minutes
    [InlineData(0, 30, 0)]
    [InlineData(1, 30, 0)] // 0.12 s
    [InlineData(1, 7.2, 1)] // 0.5 s rounds up
    [InlineData(1_000, 60, 60)]
    public void Duration_estimate_follows_the_average_speed(double meters, double kmh, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), TripDurationEstimator.Estimate(meters, kmh));
    }

    [Fact]
    public void Duration_estimate_defaults_to_30_kmh()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), TripDurationEstimator.Estimate(1_000));
    }

    [Theory]
    [InlineData(-1, 30, "distanceMeters")]
    [InlineData(double.NaN, 30, "distanceMeters")]
    [InlineData(1_000, 0, "averageSpeedKmh")]
    [InlineData(1_000, -5, "averageSpeedKmh")]
    [InlineData(1_000, double.PositiveInfinity, "averageSpeedKmh")]
    public void Duration_estimate_refuses_nonsense(double meters, double kmh, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TripDurationEstimator.Estimate(meters, kmh));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void A_trip_quote_prices_the_straight_line_distance_at_the_average_speed()
    {
        var pickup = new GeoPoint(48.8566, 2.3522);
        var dropoff = new GeoPoint(48.8738, 2.2950); // Arc de Triomphe, about 4.6 km

        var quote = FareCalculator.EstimateTrip(Economy, pickup, dropoff);

        Assert.Equal(Math.Round(GeoMath.DistanceMeters(pickup, dropoff)), quote.DistanceMeters);
        Assert.Equal(TripDurationEstimator.Estimate(quote.DistanceMeters), quote.Duration);
        Assert.Equal(FareCalculator.Estimate(Economy, quote.DistanceMeters, quote.Duration), quote.Fare);
        Assert.InRange(quote.DistanceMeters, 4_400, 4_800);
    }
}
