using Atlas.Grains.Markets;
using Atlas.Grains.Fares;

namespace Atlas.Grains.Tests.Domain;

using Atlas.Grains.Monetary;

public class FarePolicyTests
{
    [Theory]
    [InlineData(-1, 0, 0, 0, 0, 0, "baseFareMinor")]
    [InlineData(0, -1, 0, 0, 0, 0, "perKmMinor")]
    [InlineData(0, 0, -1, 0, 0, 0, "perMinuteMinor")]
    [InlineData(0, 0, 0, -1, 0, 0, "minimumFareMinor")]
    [InlineData(0, 0, 0, 0, -1, 0, "commissionBasisPoints")]
    [InlineData(0, 0, 0, 0, 10_001, 0, "commissionBasisPoints")]
    [InlineData(0, 0, 0, 0, 0, -1, "cancellationFeeMinor")]
    public void A_policy_refuses_negative_amounts_and_commission_outside_0_to_100_percent(
        long baseFare, long perKm, long perMinute, long minimum, int commission, long cancellation, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new FarePolicy(Currency.Eur, baseFare, perKm, perMinute, minimum, commission, cancellation));

        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void A_with_expression_cannot_make_a_policy_invalid()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BuiltInMarket.VehicleClasses[0].Fare with { PerKmMinor = -5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => BuiltInMarket.VehicleClasses[0].Fare with { CommissionBasisPoints = 20_000 });
    }

    [Fact]
    public void Built_in_economy_matches_the_documented_defaults()
    {
        Assert.Equal(
            new FarePolicy(Currency.Eur, 250, 120, 30, 500, 2_000, 300),
            BuiltInMarket.VehicleClasses[0].Fare);
    }
}
