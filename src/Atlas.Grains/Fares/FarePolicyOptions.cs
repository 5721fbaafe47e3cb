namespace Atlas.Grains.Fares;

using Atlas.Grains.Monetary;

/// <summary>Configuration shape of one <see cref="FarePolicy"/>; amounts are minor units (cents). Every field is required.</summary>
public sealed class FarePolicyOptions
{
    /// <summary>ISO-4217 code, e.g. <c>EUR</c>.</summary>
    public string? Currency { get; set; }

    public long? BaseFare { get; set; }

    public long? PerKm { get; set; }

    public long? PerMinute { get; set; }

    public long? MinimumFare { get; set; }

    /// <summary>Platform commission, 0..10 000 basis points (2 000 = 20 %).</summary>
    public int? CommissionBasisPoints { get; set; }

    public long? CancellationFee { get; set; }

    /// <summary>Creates options from a policy, e.g. to start from the built-in defaults.</summary>
    public static FarePolicyOptions From(FarePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new FarePolicyOptions
        {
            Currency = policy.Currency.Code,
            BaseFare = policy.BaseFareMinor,
            PerKm = policy.PerKmMinor,
            PerMinute = policy.PerMinuteMinor,
            MinimumFare = policy.MinimumFareMinor,
            CommissionBasisPoints = policy.CommissionBasisPoints,
            CancellationFee = policy.CancellationFeeMinor,
        };
    }

    /// <summary>Builds the policy; call only after validation passed.</summary>
    internal FarePolicy ToPolicy() => new(
        new Currency(Currency!),
        BaseFare!.Value,
        PerKm!.Value,
        PerMinute!.Value,
        MinimumFare!.Value,
        CommissionBasisPoints!.Value,
        CancellationFee!.Value);

    internal void Validate(string path, List<string> errors)
    {
        if (Currency is null)
        {
            errors.Add($"{path}:{nameof(Currency)} is required.");
        }
        else if (!Atlas.Grains.Monetary.Currency.IsValidCode(Currency))
        {
            errors.Add($"{path}:{nameof(Currency)} must be three upper-case letters like EUR, but was '{Currency}'.");
        }

        RequireNonNegative(path, nameof(BaseFare), BaseFare, errors);
        RequireNonNegative(path, nameof(PerKm), PerKm, errors);
        RequireNonNegative(path, nameof(PerMinute), PerMinute, errors);
        RequireNonNegative(path, nameof(MinimumFare), MinimumFare, errors);
        RequireNonNegative(path, nameof(CancellationFee), CancellationFee, errors);

        if (CommissionBasisPoints is null)
        {
            errors.Add($"{path}:{nameof(CommissionBasisPoints)} is required.");
        }
        else if (CommissionBasisPoints is < 0 or > FarePolicy.MaxCommissionBasisPoints)
        {
            errors.Add($"{path}:{nameof(CommissionBasisPoints)} must be between 0 and 10000 (0-100 %), but was {CommissionBasisPoints}.");
        }
    }

    private static void RequireNonNegative(string path, string name, long? value, List<string> errors)
    {
        if (value is null)
        {
            errors.Add($"{path}:{name} is required (minor units, e.g. cents).");
        }
        else if (value < 0)
        {
            errors.Add($"{path}:{name} must not be negative, but was {value}.");
        }
    }
}
