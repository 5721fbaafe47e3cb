using Atlas.Grains.Fares;
using Atlas.Grains.Rides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Tests.Domain;

using Atlas.Grains.Monetary;

public class FarePoliciesTests
{
    private static FareOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings)
            .Build()
            .GetSection(FareOptions.SectionName)
            .Get<FareOptions>() ?? new FareOptions();

    private static Dictionary<string, string?> Policy(string city, string type, string currency = "EUR", long baseFare = 300)
    {
        var prefix = $"Fares:Cities:{city}:{type}:";
        return new Dictionary<string, string?>
        {
            [prefix + "Currency"] = currency,
            [prefix + "BaseFare"] = baseFare.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [prefix + "PerKm"] = "150",
            [prefix + "PerMinute"] = "35",
            [prefix + "MinimumFare"] = "600",
            [prefix + "CommissionBasisPoints"] = "1800",
            [prefix + "CancellationFee"] = "400",
        };
    }

    private static Dictionary<string, string?> Merge(params Dictionary<string, string?>[] parts) =>
        parts.SelectMany(p => p).ToDictionary(p => p.Key, p => p.Value);

    [Fact]
    public void Without_configuration_the_default_city_has_built_in_prices_for_every_vehicle_type()
    {
        var policies = FarePolicies.BuiltIn;

        Assert.Equal(FareOptions.BuiltInDefaultCity, policies.DefaultCity);
        Assert.Equal(30, policies.AverageSpeedKmh);
        Assert.All(VehicleTypes.All, t => Assert.Equal(BuiltInFarePolicies.For(t), policies.Resolve(null, t)));
        Assert.Equal(BuiltInFarePolicies.Economy, policies.Resolve("  ", VehicleType.Economy));
        Assert.Equal(BuiltInFarePolicies.Xl, policies.Resolve("DEFAULT", VehicleType.Xl));
    }

    [Fact]
    public void Policies_bind_from_configuration_and_resolve_ignoring_city_case()
    {
        var options = Bind(Merge(
            new() { ["Fares:DefaultCity"] = "paris", ["Fares:AverageSpeedKmh"] = "25" },
            Policy("paris", "economy"),
            Policy("paris", "XL", baseFare: 500),
            Policy("london", "economy", "GBP")));

        var policies = new FarePolicies(options);

        Assert.Equal(new FarePolicy(Currency.Eur, 300, 150, 35, 600, 1_800, 400), policies.Resolve("Paris", VehicleType.Economy));
        Assert.Equal(500, policies.Resolve(null, VehicleType.Xl).BaseFareMinor);
        Assert.Equal(Currency.Gbp, policies.Resolve("LONDON", VehicleType.Economy).Currency);
        Assert.Equal(25, policies.AverageSpeedKmh);
    }

    [Fact]
    public void A_configured_default_city_gets_no_built_in_prices_mixed_in()
    {
        var policies = new FarePolicies(Bind(Merge(
            new() { ["Fares:DefaultCity"] = "paris" },
            Policy("paris", "economy"))));

        var error = Assert.Throws<FarePolicyNotFoundException>(() => policies.Resolve(null, VehicleType.Premium));

        Assert.Equal("paris", error.City);
        Assert.Equal(VehicleType.Premium, error.VehicleType);
        Assert.Contains("premium", error.Message, StringComparison.Ordinal);
        Assert.Contains("paris", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unconfigured_default_city_falls_back_to_built_in_prices()
    {
        var policies = new FarePolicies(Bind(Merge(
            new() { ["Fares:DefaultCity"] = "lyon" },
            Policy("berlin", "economy"))));

        Assert.Equal(BuiltInFarePolicies.Economy, policies.Resolve("lyon", VehicleType.Economy));
        Assert.Equal(BuiltInFarePolicies.Economy, policies.Resolve(null, VehicleType.Economy));
        Assert.Equal(300, policies.Resolve("berlin", VehicleType.Economy).BaseFareMinor);
    }

    [Fact]
    public void An_unknown_city_is_refused_rather_than_priced_like_the_default_city()
    {
        var error = Assert.Throws<FarePolicyNotFoundException>(() => FarePolicies.BuiltIn.Resolve(" Atlantis ", VehicleType.Economy));

        Assert.Equal("Atlantis", error.City);
        Assert.False(FarePolicies.BuiltIn.TryResolve("Atlantis", VehicleType.Economy, out _));
    }

    [Fact]
    public void Invalid_amounts_are_reported_with_their_configuration_path()
    {
        var settings = Policy("paris", "economy");
        settings["Fares:Cities:paris:economy:PerKm"] = "-120";
        settings["Fares:Cities:paris:economy:CommissionBasisPoints"] = "12000";
        settings["Fares:Cities:paris:economy:Currency"] = "euro";

        var errors = Bind(settings).Validate();

        Assert.Contains("Cities:paris:economy:PerKm must not be negative, but was -120.", errors);
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:economy:CommissionBasisPoints must be between 0 and 10000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:economy:Currency must be three upper-case letters", StringComparison.Ordinal));
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Missing_amounts_are_reported_rather_than_read_as_zero()
    {
        var settings = Policy("paris", "economy");
        settings.Remove("Fares:Cities:paris:economy:CancellationFee");

        var errors = Bind(settings).Validate();

        var error = Assert.Single(errors);
        Assert.StartsWith("Cities:paris:economy:CancellationFee is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_vehicle_types_and_bad_global_settings_are_reported()
    {
        var options = Bind(Merge(
            new() { ["Fares:DefaultCity"] = " ", ["Fares:AverageSpeedKmh"] = "0" },
            Policy("paris", "suv")));

        var errors = options.Validate();

        Assert.Contains("DefaultCity is required.", errors);
        Assert.Contains("AverageSpeedKmh must be a number of km/h above 0, but was 0.", errors);
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:suv: 'suv' is not a vehicle type", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_options_cannot_become_policies_nor_pass_start_up_validation()
    {
        var settings = Policy("paris", "economy");
        settings["Fares:Cities:paris:economy:BaseFare"] = "-1";
        var options = Bind(settings);

        var error = Assert.Throws<OptionsValidationException>(() => new FarePolicies(options));
        Assert.Contains("Cities:paris:economy:BaseFare must not be negative, but was -1.", error.Failures);

        var result = new FareOptionsValidator().Validate(Options.DefaultName, options);
        Assert.True(result.Failed);
        Assert.True(new FareOptionsValidator().Validate(Options.DefaultName, new FareOptions()).Succeeded);
    }

    [Fact]
    public void The_same_vehicle_type_configured_twice_in_code_is_reported()
    {
        var options = new FareOptions
        {
            Cities = new()
            {
                ["paris"] = new()
                {
                    ["xl"] = FarePolicyOptions.From(BuiltInFarePolicies.Xl),
                    ["XL"] = FarePolicyOptions.From(BuiltInFarePolicies.Xl),
                },
            },
        };

        Assert.Contains("Cities:paris:XL configures xl more than once.", options.Validate());
    }
}
