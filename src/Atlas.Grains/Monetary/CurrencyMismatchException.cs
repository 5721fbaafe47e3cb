using Atlas.Grains.Common;

namespace Atlas.Grains.Monetary;

/// <summary>Thrown when two amounts in different currencies are combined or compared.</summary>
[GenerateSerializer, Alias("atlas.CurrencyMismatchException")]
public sealed class CurrencyMismatchException : DomainException
{
    public CurrencyMismatchException(Currency left, Currency right)
        : base($"Cannot combine amounts in different currencies: {left} and {right}.")
    {
        Left = left;
        Right = right;
    }

    /// <summary>Currency of the left-hand (or first) operand.</summary>
    [Id(0)]
    public Currency Left { get; }

    /// <summary>Currency of the right-hand (or second) operand.</summary>
    [Id(1)]
    public Currency Right { get; }
}
