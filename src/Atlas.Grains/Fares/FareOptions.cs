using System.Globalization;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Fares;

using Atlas.Grains.Monetary;

/// <summary>Fare configuration, bound from the <c>Fares</c> section: cities → vehicle types → policy.</summary>
/// <example>
/// <code>
/// "Fares": {
///   "DefaultCity": "paris",
///   "AverageSpeedKmh": 30,
///   "Cities": {
///     "paris": {
///       "economy": { "Currency": "EUR", "BaseFare": 250, "PerKm": 120, "PerMinute": 30,
///                    "MinimumFare": 500, "CommissionBasisPoints": 2000, "CancellationFee": 300 }
///     }
///   }
/// }
/// </code>
/// </example>
/// <remarks>
/// Mutable with setters only because the configuration binder needs them; <see cref="FarePolicies"/> turns it into
/// immutable, validated <see cref="FarePolicy"/> values. If the default city is not configured it gets
/// <see cref="BuiltInFarePolicies"/>, so a development host runs with no configuration at all.
/// </remarks>
public sealed class FareOptions
{
    public const string SectionName = "Fares";

    public const string BuiltInDefaultCity = "default";

    /// <summary>City used when a request names none.</summary>
    public string DefaultCity { get; set; } = BuiltInDefaultCity;

    /// <summary>Speed used to turn a distance into a duration for quotes and ETAs.</summary>
    public double AverageSpeedKmh { get; set; } = TripDurationEstimator.DefaultAverageSpeedKmh;

    /// <summary>City name → vehicle type wire name (<c>economy</c>, <c>xl</c>, …) → policy.</summary>
    public Dictionary<string, Dictionary<string, FarePolicyOptions>> Cities { get; set; } =
        new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every problem found, each naming its configuration path (relative to the section); empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DefaultCity))
        {
            errors.Add($"{nameof(DefaultCity)} is required.");
        }

        if (!double.IsFinite(AverageSpeedKmh) || AverageSpeedKmh <= 0)
        {
            errors.Add(Invariant($"{nameof(AverageSpeedKmh)} must be a number of km/h above 0, but was {AverageSpeedKmh}."));
        }

        var seenCities = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (city, vehicles) in Cities ?? [])
        {
            var cityPath = $"{nameof(Cities)}:{city}";
            if (string.IsNullOrWhiteSpace(city))
            {
                errors.Add($"{nameof(Cities)} contains a city with an empty name.");
                continue;
            }

            if (!seenCities.Add(city.Trim()))
            {
                errors.Add($"{cityPath} is configured more than once (city names ignore case and surrounding spaces).");
            }

            if (vehicles is null || vehicles.Count == 0)
            {
                errors.Add($"{cityPath} must configure at least one vehicle type.");
                continue;
            }

            var seenTypes = new HashSet<VehicleType>();
            foreach (var (typeName, policy) in vehicles)
            {
                var policyPath = $"{cityPath}:{typeName}";
                if (!VehicleTypes.TryParse(typeName, out var type))
                {
                    errors.Add($"{policyPath}: '{typeName}' is not a vehicle type; expected one of: "
                        + string.Join(", ", VehicleTypes.All.Select(static t => t.ToWireName())) + ".");
                    continue;
                }

                if (!seenTypes.Add(type))
                {
                    errors.Add($"{policyPath} configures {type.ToWireName()} more than once.");
                }

                if (policy is null)
                {
                    errors.Add($"{policyPath} has no settings.");
                    continue;
                }

                policy.Validate(policyPath, errors);
            }
        }

        return errors;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

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
