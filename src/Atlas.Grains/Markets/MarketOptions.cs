using System.Globalization;
using System.Text.RegularExpressions;
using Atlas.Grains.Fares;

namespace Atlas.Grains.Markets;

/// <summary>
/// The cities Atlas serves, bound from the <c>Markets</c> section: per city its vehicle classes (name, aliases, seats,
/// fare policy), dispatch mode, payment methods and the drivers' credit limit, and surge pricing.
/// </summary>
/// <example>
/// <code>
/// "Markets": {
///   "DefaultCity": "jakarta",
///   "Cities": {
///     "jakarta": {
///       "Dispatch": "assign",
///       "DefaultVehicleClass": "moto",
///       "Payments": { "Default": "cash", "Methods": [ "cash", "wallet" ], "DriverCreditLimit": 5000000 },
///       "Surge": { "Enabled": true, "Window": "00:10:00", "MaxMultiplier": 2.0 },
///       "VehicleClasses": {
///         "moto": { "Aliases": [ "go-ride" ], "Seats": 1,
///                   "Fare": { "Currency": "IDR", "BaseFare": 900000, "PerKm": 250000, "PerMinute": 30000,
///                             "MinimumFare": 1000000, "CommissionBasisPoints": 2000, "CancellationFee": 500000 } }
///       }
///     }
///   }
/// }
/// </code>
/// </example>
/// <remarks>
/// Every setting of a city is optional: what a city leaves out it takes from <see cref="BuiltInMarket"/> (a city without
/// vehicle classes gets the built-in ones, a city without a dispatch mode is <c>assign</c>, …). The default city is
/// served even when not configured. Mutable with setters only because the configuration binder needs them;
/// <see cref="MarketCatalog"/> turns them into immutable, validated markets.
/// </remarks>
public sealed partial class MarketOptions
{
    public const string SectionName = "Markets";

    public const string BuiltInDefaultCity = "default";

    /// <summary>The city of requests that name none (default <c>default</c>).</summary>
    public string DefaultCity { get; set; } = BuiltInDefaultCity;

    /// <summary>Speed that turns a distance into a duration for quotes (default 30 km/h).</summary>
    public double AverageSpeedKmh { get; set; } = TripDurationEstimator.DefaultAverageSpeedKmh;

    /// <summary>City name → its market.</summary>
    public Dictionary<string, CityOptions> Cities { get; set; } = new(StringComparer.OrdinalIgnoreCase);

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
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (city, options) in Cities ?? [])
        {
            var path = $"{nameof(Cities)}:{city}";
            if (string.IsNullOrWhiteSpace(city))
            {
                errors.Add($"{nameof(Cities)} contains a city with an empty name.");
                continue;
            }
            if (!seen.Add(city.Trim()))
            {
                errors.Add($"{path} is configured more than once (city names ignore case and surrounding spaces).");
            }
            (options ?? new CityOptions()).Validate(path, errors);
        }
        return errors;
    }

    /// <summary>Class names and aliases: lower-case letters, digits and '-', as apps send them and index keys hold them.</summary>
    internal static bool IsValidClassName(string? name) => name is not null && ClassNamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex ClassNamePattern();

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One city's market; every setting is optional (see <see cref="MarketOptions"/>).</summary>
public sealed class CityOptions
{
    /// <summary><c>offer</c> or <c>assign</c> (built-in: <c>assign</c>).</summary>
    public string? Dispatch { get; set; }

    /// <summary>The class (name or alias) of requests that name none, and of drivers registered by their first location.</summary>
    public string? DefaultVehicleClass { get; set; }

    /// <summary>Class name → class; names and aliases are lower-case letters, digits and '-'.</summary>
    public Dictionary<string, VehicleClassOptions>? VehicleClasses { get; set; }

    public CityPaymentOptions? Payments { get; set; }

    public SurgeOptions? Surge { get; set; }

    internal void Validate(string path, List<string> errors)
    {
        if (Dispatch is not null && !DispatchModes.TryParse(Dispatch, out _))
        {
            errors.Add($"{path}:{nameof(Dispatch)} must be one of {string.Join(", ", DispatchModes.All.Select(m => m.ToWireName()))}, but was '{Dispatch}'.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var currencies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, vehicle) in VehicleClasses ?? [])
        {
            var classPath = $"{path}:{nameof(VehicleClasses)}:{name}";
            if (!MarketOptions.IsValidClassName(name))
            {
                errors.Add($"{classPath}: a class name is 1 to 32 lower-case letters, digits or '-', starting with a letter or digit.");
            }
            else if (!names.Add(name))
            {
                errors.Add($"{classPath} is named twice (as a class or an alias).");
            }
            if (vehicle is null)
            {
                errors.Add($"{classPath} has no settings.");
                continue;
            }
            foreach (var alias in vehicle.Aliases ?? [])
            {
                if (!MarketOptions.IsValidClassName(alias))
                {
                    errors.Add($"{classPath}:{nameof(VehicleClassOptions.Aliases)}: '{alias}' is not 1 to 32 lower-case letters, digits or '-'.");
                }
                else if (!names.Add(alias))
                {
                    errors.Add($"{classPath}:{nameof(VehicleClassOptions.Aliases)}: '{alias}' names another class of the city too.");
                }
            }
            if (vehicle.Seats is { } seats && seats is < 1 or > 99)
            {
                errors.Add(MarketOptions.Invariant($"{classPath}:{nameof(VehicleClassOptions.Seats)} must be between 1 and 99, but was {seats}."));
            }
            if (vehicle.Fare is null)
            {
                errors.Add($"{classPath}:{nameof(VehicleClassOptions.Fare)} is required.");
            }
            else
            {
                vehicle.Fare.Validate($"{classPath}:{nameof(VehicleClassOptions.Fare)}", errors);
                if (vehicle.Fare.Currency is { } currency)
                {
                    currencies.Add(currency);
                }
            }
        }
        if (currencies.Count > 1)
        {
            errors.Add($"{path}:{nameof(VehicleClasses)} mixes currencies ({string.Join(", ", currencies)}); a city prices every class in one currency.");
        }
        if (DefaultVehicleClass is { } defaultClass)
        {
            var known = VehicleClasses is { Count: > 0 } ? names : BuiltInMarket.ClassNamesAndAliases;
            if (!known.Contains(defaultClass.Trim().ToLowerInvariant()))
            {
                errors.Add($"{path}:{nameof(DefaultVehicleClass)} '{defaultClass}' is not a class of the city.");
            }
        }
        else if (VehicleClasses is { Count: > 1 })
        {
            errors.Add($"{path}:{nameof(DefaultVehicleClass)} is required when the city configures more than one vehicle class.");
        }
        Payments?.Validate($"{path}:{nameof(Payments)}", errors);
        Surge?.Validate($"{path}:{nameof(Surge)}", errors);
    }
}

/// <summary>A vehicle class: what riders order and drivers' vehicles qualify for.</summary>
public sealed class VehicleClassOptions
{
    /// <summary>Other names apps send for the class (e.g. <c>go-ride</c> for <c>moto</c>).</summary>
    public string[]? Aliases { get; set; }

    /// <summary>Passenger seats (default 4).</summary>
    public int? Seats { get; set; }

    /// <summary>The fare policy; every field is required.</summary>
    public FarePolicyOptions? Fare { get; set; }
}

/// <summary>How a city's riders pay and how far its drivers may owe the platform.</summary>
public sealed class CityPaymentOptions
{
    /// <summary>The method of requests that name none (built-in: <c>cash</c>).</summary>
    public string? Default { get; set; }

    /// <summary>The methods the city takes (built-in: <c>cash</c>, <c>wallet</c>).</summary>
    public string[]? Methods { get; set; }

    /// <summary>
    /// How far below zero (minor units) a driver's wallet may go for the commissions of cash rides (built-in: 5 000).
    /// A driver whose wallet cannot take a cash ride's commission within it is not offered cash rides until a top-up.
    /// </summary>
    public long? DriverCreditLimit { get; set; }

    internal void Validate(string path, List<string> errors)
    {
        var methods = new HashSet<PaymentMethod>();
        foreach (var method in Methods ?? [])
        {
            if (!PaymentMethods.TryParse(method, out var parsed))
            {
                errors.Add($"{path}:{nameof(Methods)}: '{method}' is not one of {string.Join(", ", PaymentMethods.All.Select(m => m.ToWireName()))}.");
            }
            else if (!methods.Add(parsed))
            {
                errors.Add($"{path}:{nameof(Methods)} names '{method}' twice.");
            }
        }
        if (Methods is { Length: 0 })
        {
            errors.Add($"{path}:{nameof(Methods)} must name at least one method.");
        }
        if (Default is not null)
        {
            if (!PaymentMethods.TryParse(Default, out var parsed))
            {
                errors.Add($"{path}:{nameof(Default)} must be one of {string.Join(", ", PaymentMethods.All.Select(m => m.ToWireName()))}, but was '{Default}'.");
            }
            else if (Methods is { Length: > 0 } && !methods.Contains(parsed))
            {
                errors.Add($"{path}:{nameof(Default)} '{Default}' is not one of the city's {nameof(Methods)}.");
            }
        }
        else if (Methods is { Length: > 0 } && !Methods.Any(m => PaymentMethods.TryParse(m, out var p) && p == BuiltInMarket.DefaultPaymentMethod))
        {
            errors.Add($"{path}:{nameof(Default)} is required when {nameof(Methods)} leaves out the built-in default '{BuiltInMarket.DefaultPaymentMethod.ToWireName()}'.");
        }
        if (DriverCreditLimit is < 0)
        {
            errors.Add(MarketOptions.Invariant($"{path}:{nameof(DriverCreditLimit)} must not be negative (minor units), but was {DriverCreditLimit}."));
        }
    }
}

/// <summary>
/// Surge pricing of a city: per cell, the multiplier grows with open requests per available driver over a sliding
/// window: <c>1 + Sensitivity × (requests / max(drivers, 1) − 1)</c>, rounded down to <see cref="Step"/>, at most
/// <see cref="MaxMultiplier"/>, and 1 while fewer than <see cref="MinRequests"/> requests are open.
/// </summary>
public sealed class SurgeOptions
{
    /// <summary>Whether the city surges (built-in: false: fares are exactly the policy's).</summary>
    public bool? Enabled { get; set; }

    /// <summary>The sliding window of requests and driver positions counted (built-in: 10 min).</summary>
    public TimeSpan? Window { get; set; }

    /// <summary>The highest multiplier (built-in: 2.0; at most 10).</summary>
    public decimal? MaxMultiplier { get; set; }

    /// <summary>Multipliers are rounded down to a multiple of this (built-in: 0.1).</summary>
    public decimal? Step { get; set; }

    /// <summary>How much each request per driver beyond one adds (built-in: 0.5).</summary>
    public decimal? Sensitivity { get; set; }

    /// <summary>Fewer open requests than this in a cell never surge (built-in: 3).</summary>
    public int? MinRequests { get; set; }

    internal void Validate(string path, List<string> errors)
    {
        if (Window is { } window && (window <= TimeSpan.Zero || window > TimeSpan.FromHours(24)))
        {
            errors.Add(MarketOptions.Invariant($"{path}:{nameof(Window)} must be above zero and at most 24 hours, but was {window}."));
        }
        if (MaxMultiplier is { } max && (max < 1 || max > 10 || !SurgeMultiplier.IsWholeBasisPoints(max)))
        {
            errors.Add(MarketOptions.Invariant($"{path}:{nameof(MaxMultiplier)} must be between 1 and 10 with at most 4 decimals, but was {max}."));
        }
        if (Step is { } step && (step <= 0 || step > 1 || !SurgeMultiplier.IsWholeBasisPoints(step)))
        {
            errors.Add(MarketOptions.Invariant($"{path}:{nameof(Step)} must be above 0 and at most 1 with at most 4 decimals, but was {step}."));
        }
        if (Sensitivity is { } sensitivity && (sensitivity < 0 || sensitivity > 10 || !SurgeMultiplier.IsWholeBasisPoints(sensitivity)))
        {
            errors.Add(MarketOptions.Invariant($"{path}:{nameof(Sensitivity)} must be between 0 and 10 with at most 4 decimals, but was {sensitivity}."));
        }
        if (MinRequests is < 1)
        {
            errors.Add(MarketOptions.Invariant($"{path}:{nameof(MinRequests)} must be at least 1, but was {MinRequests}."));
        }
    }
}
