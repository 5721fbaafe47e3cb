using System.Globalization;
using Atlas.Grains.Common;

namespace Atlas.Grains.Monetary;

/// <summary>An exact amount of money: an integer count of minor units (cents) in one <see cref="Money.Currency"/>.</summary>
/// <remarks>
/// Amounts are <see cref="long"/> minor units and all arithmetic is integer and overflow-checked: binary floating
/// point cannot represent 0.10 exactly and would make fares drift by a cent.
/// Every currency currently supported has a minor-unit exponent of 2 (100 minor units per major unit);
/// supporting JPY (0) or KWD (3) needs an exponent on <see cref="Currency"/> and changes to <see cref="ToString"/>.
/// </remarks>
[GenerateSerializer, Immutable, Alias("atlas.Money")]
public readonly record struct Money([property: Id(0)] long Minor, [property: Id(1)] Currency Currency)
{
    /// <summary>Minor units per major unit for every supported currency (ISO-4217 exponent 2).</summary>
    public const int MinorUnitsPerMajor = 100;

    /// <summary>One basis point is 1/10 000 of the whole.</summary>
    public const int BasisPointsPerWhole = 10_000;

    public bool IsZero => Minor == 0;

    public bool IsNegative => Minor < 0;

    public bool IsPositive => Minor > 0;

    public static Money Zero(Currency currency) => new(0, currency);

    /// <summary>Creates an amount that must be strictly greater than zero (a charge, a fee, a payout).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minor"/> is zero or negative.</exception>
    public static Money Positive(long minor, Currency currency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minor);
        return new Money(minor, currency);
    }

    /// <summary>Creates an amount that must not be negative (a price that may be free).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minor"/> is negative.</exception>
    public static Money NonNegative(long minor, Currency currency)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        return new Money(minor, currency);
    }

    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    /// <exception cref="OverflowException">The sum does not fit in a <see cref="long"/>.</exception>
    public Money Add(Money other)
    {
        EnsureSameCurrency(this, other);
        return this with { Minor = checked(Minor + other.Minor) };
    }

    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    /// <exception cref="OverflowException">The difference does not fit in a <see cref="long"/>.</exception>
    public Money Subtract(Money other)
    {
        EnsureSameCurrency(this, other);
        return this with { Minor = checked(Minor - other.Minor) };
    }

    /// <exception cref="OverflowException">The product does not fit in a <see cref="long"/>.</exception>
    public Money Multiply(long factor) => this with { Minor = checked(Minor * factor) };

    public Money Negate() => this with { Minor = checked(-Minor) };

    /// <summary>
    /// Returns <paramref name="basisPoints"/>/10 000 of this amount, rounded to a whole minor unit
    /// half away from zero (0.5 cent → 1 cent, -0.5 cent → -1 cent).
    /// </summary>
    /// <remarks>
    /// Half-away-from-zero rather than banker's rounding: it is what people compute by hand, so a receipt can be
    /// checked, and callers that must not lose a cent take the remainder by subtraction (see fare split).
    /// </remarks>
    public Money ShareInBasisPoints(long basisPoints) =>
        this with { Minor = IntegerRounding.DivideHalfAwayFromZero((Int128)Minor * basisPoints, BasisPointsPerWhole) };

    /// <summary>Returns <paramref name="percent"/> % of this amount, rounded like <see cref="ShareInBasisPoints"/>.</summary>
    public Money ShareInPercent(long percent) =>
        this with { Minor = IntegerRounding.DivideHalfAwayFromZero((Int128)Minor * percent, 100) };

    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public static Money Max(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return a.Minor >= b.Minor ? a : b;
    }

    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public static Money Min(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return a.Minor <= b.Minor ? a : b;
    }

    /// <exception cref="CurrencyMismatchException">The currencies differ.</exception>
    public static void EnsureSameCurrency(Money a, Money b)
    {
        if (a.Currency != b.Currency)
        {
            throw new CurrencyMismatchException(a.Currency, b.Currency);
        }
    }

    public static Money operator +(Money a, Money b) => a.Add(b);

    public static Money operator -(Money a, Money b) => a.Subtract(b);

    public static Money operator -(Money a) => a.Negate();

    public static Money operator *(Money a, long factor) => a.Multiply(factor);

    public static Money operator *(long factor, Money a) => a.Multiply(factor);

    public static bool operator <(Money a, Money b) => Compare(a, b) < 0;

    public static bool operator >(Money a, Money b) => Compare(a, b) > 0;

    public static bool operator <=(Money a, Money b) => Compare(a, b) <= 0;

    public static bool operator >=(Money a, Money b) => Compare(a, b) >= 0;

    /// <summary>Formats as <c>"12.34 EUR"</c> (invariant culture, exponent 2), e.g. for logs and receipts.</summary>
    public override string ToString()
    {
        // Int128 so that long.MinValue has a magnitude.
        var magnitude = Int128.Abs(Minor);
        var major = magnitude / MinorUnitsPerMajor;
        var cents = magnitude % MinorUnitsPerMajor;
        var sign = Minor < 0 ? "-" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{major}.{cents:00} {Currency.Code}");
    }

    private static int Compare(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return a.Minor.CompareTo(b.Minor);
    }
}
