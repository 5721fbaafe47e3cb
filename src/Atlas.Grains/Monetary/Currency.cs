using System.Diagnostics.CodeAnalysis;

namespace Atlas.Grains.Monetary;

/// <summary>An ISO-4217 style currency code: exactly three upper-case ASCII letters, e.g. <c>EUR</c>.</summary>
/// <remarks>
/// Only the shape is validated, not membership in the ISO list, so new markets need no code change.
/// <c>default(Currency)</c> reads as <c>XXX</c>, the ISO code for "no currency", and compares equal to it,
/// so an uninitialised amount can never silently pass for a real currency.
/// </remarks>
[System.Text.Json.Serialization.JsonConverter(typeof(CurrencyJsonConverter))]
[GenerateSerializer, Immutable, Alias("atlas.Currency")]
public readonly record struct Currency
{
    /// <summary>ISO-4217 code meaning "no currency"; what <c>default(Currency)</c> reports.</summary>
    public const string NoCurrencyCode = "XXX";

    [Id(0)]
    private readonly string? _code;

    /// <summary>Creates a currency, refusing anything but three upper-case ASCII letters.</summary>
    /// <exception cref="ArgumentException"><paramref name="code"/> is not three upper-case letters.</exception>
    public Currency(string code)
    {
        if (!IsValidCode(code))
        {
            throw new ArgumentException(
                $"Currency code must be exactly three upper-case letters A-Z (e.g. EUR), but was '{code}'.",
                nameof(code));
        }

        _code = code;
    }

    public static Currency Eur { get; } = new("EUR");

    public static Currency Usd { get; } = new("USD");

    public static Currency Gbp { get; } = new("GBP");

    public string Code => _code ?? NoCurrencyCode;

    public static bool IsValidCode([NotNullWhen(true)] string? code) =>
        code is { Length: 3 } && code.All(static c => c is >= 'A' and <= 'Z');

    public static bool TryParse([NotNullWhen(true)] string? code, out Currency currency)
    {
        if (IsValidCode(code))
        {
            currency = new Currency(code);
            return true;
        }

        currency = default;
        return false;
    }

    public static Currency Parse(string code) => new(code);

    // Compare the reported code, not the backing field, so default equals an explicit "XXX".
    public bool Equals(Currency other) => string.Equals(Code, other.Code, StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Code);

    public override string ToString() => Code;
}
