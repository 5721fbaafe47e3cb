namespace Atlas.Grains.Common;

/// <summary>Integer division with explicit rounding, so amounts never pass through floating point.</summary>
internal static class IntegerRounding
{
    /// <summary>
    /// Returns <paramref name="numerator"/> / <paramref name="denominator"/> rounded to the nearest integer,
    /// ties away from zero (2.5 → 3, -2.5 → -3). For the non-negative values of fares this is plain "half up".
    /// </summary>
    /// <exception cref="OverflowException">The result does not fit in a <see cref="long"/>.</exception>
    public static long DivideHalfAwayFromZero(Int128 numerator, long denominator)
    {
        if (denominator <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(denominator), denominator, "Denominator must be positive.");
        }

        var (quotient, remainder) = Int128.DivRem(numerator, denominator);

        // Remainder carries the numerator's sign; compare magnitudes to find the tie point.
        if (Int128.Abs(remainder) * 2 >= denominator)
        {
            quotient += Int128.Sign(numerator);
        }

        return checked((long)quotient);
    }
}
