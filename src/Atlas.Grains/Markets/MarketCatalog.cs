using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Atlas.Grains.Fares;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Markets;

/// <summary>The cities Atlas serves, from <see cref="MarketOptions"/>: validated once, then immutable.</summary>
/// <remarks>
/// An unknown city is an error rather than a fallback to the default city: silently pricing a ride with another
/// city's tariff (possibly in another currency) is worse than refusing it.
/// </remarks>
public sealed class MarketCatalog
{
    private readonly FrozenDictionary<string, CityMarket> _cities;

    /// <exception cref="OptionsValidationException">The options are invalid; the failures name each offending setting.</exception>
    public MarketCatalog(MarketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MarketOptions), errors);
        }
        var cities = new Dictionary<string, CityMarket>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, city) in options.Cities ?? [])
        {
            cities[name.Trim()] = Build(name.Trim(), city ?? new CityOptions());
        }
        DefaultCity = options.DefaultCity.Trim();
        if (!cities.ContainsKey(DefaultCity))
        {
            cities[DefaultCity] = Build(DefaultCity, new CityOptions());
        }
        _cities = cities.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        CityNames = [.. _cities.Keys.Order(StringComparer.Ordinal)];
        AverageSpeedKmh = options.AverageSpeedKmh;
    }

    /// <summary>Only the default city, all built in.</summary>
    public static MarketCatalog BuiltIn { get; } = new(new MarketOptions());

    public string DefaultCity { get; }

    public double AverageSpeedKmh { get; }

    public string[] CityNames { get; }

    /// <summary>The city named <paramref name="name"/> (ignoring case and surrounding spaces), or the default city when null or blank.</summary>
    /// <exception cref="UnknownCityException">Atlas does not serve that city.</exception>
    public CityMarket City(string? name) =>
        TryGetCity(name, out var city) ? city : throw new UnknownCityException(name, CityNames);

    public bool TryGetCity(string? name, [NotNullWhen(true)] out CityMarket? city) =>
        _cities.TryGetValue(string.IsNullOrWhiteSpace(name) ? DefaultCity : name.Trim(), out city);

    private static CityMarket Build(string name, CityOptions options)
    {
        IReadOnlyList<VehicleClass> classes = options.VehicleClasses is { Count: > 0 } configured
            ? [.. configured.Select(c => new VehicleClass(c.Key, c.Value.Aliases ?? [], c.Value.Seats ?? 4, c.Value.Fare!.ToPolicy()))]
            : BuiltInMarket.VehicleClasses;
        var defaultClass = options.DefaultVehicleClass?.Trim().ToLowerInvariant()
            ?? (options.VehicleClasses is { Count: > 0 } ? classes[0].Name : BuiltInMarket.DefaultVehicleClass);
        var dispatch = options.Dispatch is { } mode && DispatchModes.TryParse(mode, out var parsed) ? parsed : BuiltInMarket.Dispatch;
        var payments = options.Payments;
        IReadOnlyList<PaymentMethod> methods = payments?.Methods is { Length: > 0 } named
            ? [.. named.Select(m => PaymentMethods.TryParse(m, out var p) ? p : throw new InvalidOperationException(m))]
            : BuiltInMarket.PaymentMethods;
        var defaultMethod = payments?.Default is { } method && PaymentMethods.TryParse(method, out var parsedMethod)
            ? parsedMethod
            : BuiltInMarket.DefaultPaymentMethod;
        var surge = options.Surge;
        var builtInSurge = BuiltInMarket.Surge;
        var surgePolicy = surge is null ? builtInSurge : new SurgePolicy(
            surge.Enabled ?? builtInSurge.Enabled,
            surge.Window ?? builtInSurge.Window,
            surge.MaxMultiplier is { } max ? SurgeMultiplier.ToBasisPoints(max) : builtInSurge.MaxBasisPoints,
            surge.Step is { } step ? SurgeMultiplier.ToBasisPoints(step) : builtInSurge.StepBasisPoints,
            surge.Sensitivity is { } sensitivity ? SurgeMultiplier.ToBasisPoints(sensitivity) : builtInSurge.SensitivityBasisPoints,
            surge.MinRequests ?? builtInSurge.MinRequests);
        return new CityMarket(name, classes, defaultClass, dispatch, methods, defaultMethod,
            payments?.DriverCreditLimit ?? BuiltInMarket.DriverCreditLimit, surgePolicy);
    }
}

/// <summary>Lets a host reject bad market configuration at start-up (<c>ValidateOnStart</c>) instead of at the first request.</summary>
public sealed class MarketOptionsValidator : IValidateOptions<MarketOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
