namespace Atlas.Grains.Tests.Domain;

// Inside the namespace: from Atlas.Grains.* code, "Money" would otherwise bind to the namespace Atlas.Grains.Monetary.
using Atlas.Grains.Monetary;

public class MoneyTests
{
    private static Money Eur(long minor) => new(minor, Currency.Eur);

    private static Money Usd(long minor) => new(minor, Currency.Usd);

    [Fact]
    public void Adding_money_of_the_same_currency_sums_minor_units()
    {
        Assert.Equal(Eur(1_234), Eur(1_000) + Eur(234));
        Assert.Equal(Eur(766), Eur(1_000) - Eur(234));
    }

    [Fact]
    public void Adding_money_of_different_currencies_is_refused()
    {
        var error = Assert.Throws<CurrencyMismatchException>(() => Eur(100) + Usd(100));

        Assert.Equal(Currency.Eur, error.Left);
        Assert.Equal(Currency.Usd, error.Right);
        Assert.Contains("EUR", error.Message, StringComparison.Ordinal);
        Assert.Contains("USD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Subtracting_or_comparing_money_of_different_currencies_is_refused()
    {
        Assert.Throws<CurrencyMismatchException>(() => Eur(100) - Usd(1));
        Assert.Throws<CurrencyMismatchException>(() => Eur(100) < Usd(1));
        Assert.Throws<CurrencyMismatchException>(() => Money.Max(Eur(1), Usd(2)));
    }

    [Fact]
    public void Money_of_different_currencies_is_never_equal()
    {
        Assert.NotEqual(Eur(0), Usd(0));
    }

    [Fact]
    public void Sign_predicates_follow_the_minor_amount()
    {
        Assert.True(Eur(0).IsZero);
        Assert.False(Eur(0).IsNegative);
        Assert.True(Eur(-1).IsNegative);
        Assert.False(Eur(1).IsNegative);
        Assert.True(Eur(1).IsPositive);
    }

    [Fact]
    public void Multiplying_by_an_integer_scales_the_amount()
    {
        Assert.Equal(Eur(3_702), Eur(1_234) * 3);
        Assert.Equal(Eur(-1_234), -Eur(1_234));
    }

    [Fact]
    public void Arithmetic_overflow_is_detected_instead_of_wrapping()
    {
        Assert.Throws<OverflowException>(() => Eur(long.MaxValue) + Eur(1));
        Assert.Throws<OverflowException>(() => Eur(long.MaxValue / 2) * 3);
        Assert.Throws<OverflowException>(() => -Eur(long.MinValue));
    }

    [Theory]
    [InlineData(1_000, 2_000, 200)]
    [InlineData(4, 1_000, 0)] // 0.4
    [InlineData(5, 1_000, 1)] // 0.5 rounds away from zero
    [InlineData(15, 1_000, 2)] // 1.5
    [InlineData(25, 1_000, 3)] // 2.5: banker's rounding would give 2
    [InlineData(-5, 1_000, -1)]
    [InlineData(-25, 1_000, -3)]
    [InlineData(1, 5_000, 1)]
    [InlineData(1, 4_999, 0)]
    [InlineData(12_345, 0, 0)]
    [InlineData(12_345, 10_000, 12_345)]
    [InlineData(long.MaxValue, 10_000, long.MaxValue)]
    public void Basis_point_share_rounds_half_away_from_zero(long minor, long basisPoints, long expected)
    {
        Assert.Equal(Eur(expected), Eur(minor).ShareInBasisPoints(basisPoints));
    }

    [Theory]
    [InlineData(1_999, 15, 300)] // 299.85
    [InlineData(10, 5, 1)] // 0.5
    [InlineData(-10, 5, -1)]
    [InlineData(1_000, 100, 1_000)]
    public void Percentage_share_rounds_half_away_from_zero(long minor, long percent, long expected)
    {
        Assert.Equal(Eur(expected), Eur(minor).ShareInPercent(percent));
    }

    [Theory]
    [InlineData(1_234, "12.34 EUR")]
    [InlineData(5, "0.05 EUR")]
    [InlineData(0, "0.00 EUR")]
    [InlineData(100, "1.00 EUR")]
    [InlineData(-1_234, "-12.34 EUR")]
    [InlineData(-5, "-0.05 EUR")]
    [InlineData(long.MinValue, "-92233720368547758.08 EUR")]
    public void Formats_with_two_decimals_and_the_currency_code(long minor, string expected)
    {
        Assert.Equal(expected, Eur(minor).ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void Positive_factory_refuses_zero_and_negative_amounts(long minor)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Money.Positive(minor, Currency.Eur));
        Assert.Equal("minor", error.ParamName);
    }

    [Fact]
    public void Positive_and_non_negative_factories_accept_valid_amounts()
    {
        Assert.Equal(Eur(1), Money.Positive(1, Currency.Eur));
        Assert.Equal(Eur(0), Money.NonNegative(0, Currency.Eur));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Money.NonNegative(-1, Currency.Eur));
        Assert.Equal("minor", error.ParamName);
    }

    [Fact]
    public void Max_and_min_pick_by_amount()
    {
        Assert.Equal(Eur(7), Money.Max(Eur(3), Eur(7)));
        Assert.Equal(Eur(3), Money.Min(Eur(3), Eur(7)));
        Assert.True(Eur(3) < Eur(7));
        Assert.True(Eur(7) >= Eur(7));
    }

    [Fact]
    public void Uninitialised_money_is_in_no_currency_and_cannot_mix_with_real_money()
    {
        Money unset = default;

        Assert.Equal("XXX", unset.Currency.Code);
        Assert.Equal("0.00 XXX", unset.ToString());
        Assert.Throws<CurrencyMismatchException>(() => unset + Eur(1));
    }
}
