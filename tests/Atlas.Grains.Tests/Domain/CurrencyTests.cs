namespace Atlas.Grains.Tests.Domain;

using Atlas.Grains.Monetary;

public class CurrencyTests
{
    [Theory]
    [InlineData("EUR")]
    [InlineData("USD")]
    [InlineData("GBP")]
    [InlineData("CHF")]
    public void Three_upper_case_letters_make_a_currency(string code)
    {
        Assert.Equal(code, new Currency(code).Code);
        Assert.True(Currency.TryParse(code, out var parsed));
        Assert.Equal(code, parsed.ToString());
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("Eur")]
    [InlineData("EU")]
    [InlineData("EURO")]
    [InlineData("")]
    [InlineData("E1R")]
    [InlineData(" EUR")]
    [InlineData("ÉUR")]
    public void Anything_but_three_upper_case_ascii_letters_is_refused(string code)
    {
        var error = Assert.Throws<ArgumentException>(() => new Currency(code));

        Assert.Equal("code", error.ParamName);
        Assert.False(Currency.TryParse(code, out _));
    }

    [Fact]
    public void Null_is_not_a_currency()
    {
        Assert.False(Currency.TryParse(null, out _));
        Assert.Throws<ArgumentException>(() => new Currency(null!));
    }

    [Fact]
    public void Currencies_compare_by_code()
    {
        Assert.Equal(Currency.Eur, new Currency("EUR"));
        Assert.NotEqual(Currency.Eur, Currency.Usd);
        Assert.Equal(new Currency("EUR").GetHashCode(), Currency.Eur.GetHashCode());
    }

    [Fact]
    public void Default_currency_is_the_iso_no_currency_code()
    {
        Assert.Equal(new Currency("XXX"), default);
        Assert.Equal("XXX", default(Currency).ToString());
    }
}
