using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Atlas.Grains.Rides;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Fares;

/// <summary>Validated, immutable lookup of the fare policy for a city and vehicle type.</summary>
/// <remarks>
/// An unknown city is an error rather than a fallback to the default city: silently pricing a ride with another
/// city's tariff (possibly in another currency) is worse than refusing to quote it.
/// </remarks>
public sealed class FarePolicies
{
    private readonly FrozenDictionary<string, FrozenDictionary<VehicleType, FarePolicy>> _cities;

    /// <exception cref="OptionsValidationException">The options are invalid; the failures name each offending setting.</exception>
    public FarePolicies(FareOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(FareOptions), errors);
        }

        var cities = new Dictionary<string, FrozenDictionary<VehicleType, FarePolicy>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (city, vehicles) in options.Cities ?? [])
        {
            cities[city.Trim()] = vehicles.ToFrozenDictionary(
                static pair => VehicleTypes.Parse(pair.Key),
                static pair => pair.Value.ToPolicy());
        }

        DefaultCity = options.DefaultCity.Trim();
        cities.TryAdd(DefaultCity, VehicleTypes.All.ToFrozenDictionary(static t => t, BuiltInFarePolicies.For));

        _cities = cities.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        AverageSpeedKmh = options.AverageSpeedKmh;
    }

    /// <summary>Only the built-in default city, with <see cref="BuiltInFarePolicies"/>.</summary>
    public static FarePolicies BuiltIn { get; } = new(new FareOptions());

    public string DefaultCity { get; }

    public double AverageSpeedKmh { get; }

    public IReadOnlyCollection<string> Cities => _cities.Keys;

    /// <summary>The policy for a city (the default city when null or blank; names ignore case) and vehicle type.</summary>
    /// <exception cref="FarePolicyNotFoundException">The city or the vehicle type in that city is not configured.</exception>
    public FarePolicy Resolve(string? city, VehicleType vehicleType) =>
        TryResolve(city, vehicleType, out var policy)
            ? policy
            : throw new FarePolicyNotFoundException(EffectiveCity(city), vehicleType);

    public bool TryResolve(string? city, VehicleType vehicleType, [NotNullWhen(true)] out FarePolicy? policy)
    {
        policy = null;
        return _cities.TryGetValue(EffectiveCity(city), out var vehicles) && vehicles.TryGetValue(vehicleType, out policy);
    }

    private string EffectiveCity(string? city) => string.IsNullOrWhiteSpace(city) ? DefaultCity : city.Trim();
}
