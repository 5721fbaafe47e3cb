using Atlas.Grains.Fares;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Tests.Domain;

/// <summary>Markets from configuration: cities, their vehicle classes with aliases, dispatch, payments and surge, validated at start-up.</summary>
public class MarketCatalogTests
{
    private static MarketOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build()
            .GetSection(MarketOptions.SectionName).Get<MarketOptions>() ?? new MarketOptions();

    /// <summary>A class with a complete fare policy, under <c>Markets:Cities:{city}:VehicleClasses:{name}</c>.</summary>
    private static Dictionary<string, string?> Class(string city, string name, string currency = "IDR", long baseFare = 900_000, params string[] aliases)
    {
        var prefix = $"Markets:Cities:{city}:VehicleClasses:{name}";
        var settings = new Dictionary<string, string?>
        {
            [$"{prefix}:Seats"] = "1",
            [$"{prefix}:Fare:Currency"] = currency,
            [$"{prefix}:Fare:BaseFare"] = baseFare.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{prefix}:Fare:PerKm"] = "250000",
            [$"{prefix}:Fare:PerMinute"] = "30000",
            [$"{prefix}:Fare:MinimumFare"] = "1000000",
            [$"{prefix}:Fare:CommissionBasisPoints"] = "2000",
            [$"{prefix}:Fare:CancellationFee"] = "500000",
        };
        for (var i = 0; i < aliases.Length; i++)
        {
            settings[$"{prefix}:Aliases:{i}"] = aliases[i];
        }
        return settings;
    }

    private static Dictionary<string, string?> Merge(params Dictionary<string, string?>[] parts) =>
        parts.SelectMany(p => p).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value); // later parts win

    [Fact]
    public void With_no_configuration_the_default_city_serves_the_existing_apps_market()
    {
        var city = MarketCatalog.BuiltIn.City(null);

        Assert.Equal((MarketOptions.BuiltInDefaultCity, DispatchMode.Assign, PaymentMethod.Cash), (city.Name, city.Dispatch, city.DefaultPaymentMethod));
        Assert.Equal(["economy", "comfort", "xl", "premium", "moto", "moto-comfort"], city.ClassNames);
        Assert.Equal(("moto", 1), (city.DefaultClass.Name, city.DefaultClass.Seats));
        Assert.Same(city.VehicleClass("moto"), city.VehicleClass(" GO-RIDE "));
        Assert.Equal([PaymentMethod.Cash, PaymentMethod.Wallet], city.PaymentMethods);
        Assert.Equal(new Money(5_000, Currency.Eur), city.DriverCreditLimit);
        Assert.False(city.Surge.Enabled);
        Assert.Same(city, MarketCatalog.BuiltIn.City("  Default "));
    }

    [Fact]
    public void A_configured_city_takes_its_classes_aliases_and_settings_and_the_default_city_stays_built_in()
    {
        var catalog = new MarketCatalog(Bind(Merge(
            Class("jakarta", "ride", aliases: ["go-ride"]),
            Class("jakarta", "car", baseFare: 1_200_000, aliases: ["go-car"]),
            new()
            {
                ["Markets:Cities:jakarta:DefaultVehicleClass"] = "go-ride",
                ["Markets:Cities:jakarta:Dispatch"] = "offer",
                ["Markets:Cities:jakarta:Payments:Methods:0"] = "cash",
                ["Markets:Cities:jakarta:Payments:DriverCreditLimit"] = "5000000",
                ["Markets:Cities:jakarta:Surge:Enabled"] = "true",
                ["Markets:Cities:jakarta:Surge:MaxMultiplier"] = "2.5",
            })));

        var jakarta = catalog.City("JAKARTA");
        Assert.Equal(["default", "jakarta"], catalog.CityNames);
        Assert.Equal(("ride", DispatchMode.Offer, new Currency("IDR")), (jakarta.DefaultClass.Name, jakarta.Dispatch, jakarta.Currency));
        Assert.Equal(1_200_000, jakarta.VehicleClass("go-car").Fare.BaseFareMinor);
        Assert.Equal([PaymentMethod.Cash], jakarta.PaymentMethods);
        Assert.Equal(new Money(5_000_000, new Currency("IDR")), jakarta.DriverCreditLimit);
        Assert.Equal((true, 25_000, 1_000), (jakarta.Surge.Enabled, jakarta.Surge.MaxBasisPoints, jakarta.Surge.StepBasisPoints));
        Assert.Equal("moto", catalog.City(null).DefaultClass.Name);
    }

    [Fact]
    public void Unknown_cities_classes_and_methods_are_refused_naming_what_is_allowed()
    {
        var catalog = new MarketCatalog(Bind(Merge(Class("jakarta", "ride"), new() { ["Markets:Cities:jakarta:Payments:Methods:0"] = "cash", ["Markets:Cities:jakarta:Payments:Default"] = "cash" })));

        var city = Assert.Throws<UnknownCityException>(() => catalog.City("atlantis"));
        Assert.Equal(["default", "jakarta"], city.Allowed);
        var vehicle = Assert.Throws<UnknownVehicleClassException>(() => catalog.City("jakarta").VehicleClass("economy"));
        Assert.Equal(["ride"], vehicle.Allowed);
        Assert.Equal("jakarta", vehicle.City);
        var method = Assert.Throws<UnknownPaymentMethodException>(() => catalog.City("jakarta").PaymentMethod("wallet"));
        Assert.Equal(["cash"], method.Allowed);
        Assert.Contains("cash", method.Message);
    }

    [Fact]
    public void Bad_settings_are_reported_with_their_configuration_paths()
    {
        var options = Bind(Merge(
            Class("paris", "Car Class"),
            Class("paris", "car", currency: "EUR", aliases: ["van"]),
            Class("paris", "van"),
            new()
            {
                ["Markets:DefaultCity"] = " ",
                ["Markets:AverageSpeedKmh"] = "0",
                ["Markets:Cities:paris:Dispatch"] = "broadcast",
                ["Markets:Cities:paris:Payments:Methods:0"] = "cheque",
                ["Markets:Cities:paris:Payments:DriverCreditLimit"] = "-1",
                ["Markets:Cities:paris:Surge:MaxMultiplier"] = "0.5",
                ["Markets:Cities:paris:Surge:Window"] = "00:00:00",
                ["Markets:Cities:paris:VehicleClasses:car:Fare:PerKm"] = "-120",
            }));

        var errors = options.Validate();

        Assert.Contains("DefaultCity is required.", errors);
        Assert.Contains("AverageSpeedKmh must be a number of km/h above 0, but was 0.", errors);
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:Dispatch must be one of offer, assign", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:VehicleClasses:Car Class: a class name is", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'van' names another class of the city too", StringComparison.Ordinal) || e.StartsWith("Cities:paris:VehicleClasses:van is named twice", StringComparison.Ordinal));
        Assert.Contains("Cities:paris:VehicleClasses:car:Fare:PerKm must not be negative, but was -120.", errors);
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:VehicleClasses mixes currencies", StringComparison.Ordinal));
        Assert.Contains("Cities:paris:DefaultVehicleClass is required when the city configures more than one vehicle class.", errors);
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:Payments:Methods: 'cheque' is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:Payments:DriverCreditLimit must not be negative", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:Surge:MaxMultiplier must be between 1 and 10", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Cities:paris:Surge:Window must be above zero", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_options_cannot_become_a_catalog_nor_pass_start_up_validation()
    {
        var settings = Class("paris", "car", currency: "EUR");
        settings["Markets:Cities:paris:VehicleClasses:car:Fare:BaseFare"] = "-1";
        var options = Bind(settings);

        var error = Assert.Throws<OptionsValidationException>(() => new MarketCatalog(options));
        Assert.Contains("Cities:paris:VehicleClasses:car:Fare:BaseFare must not be negative, but was -1.", error.Failures);
        Assert.True(new MarketOptionsValidator().Validate(Options.DefaultName, options).Failed);
        Assert.True(new MarketOptionsValidator().Validate(Options.DefaultName, new MarketOptions()).Succeeded);
    }

    [Theory]
    [InlineData(1, 0, 10_000)]   // below the minimum number of requests
    [InlineData(3, 3, 10_000)]   // one request per driver
    [InlineData(3, 2, 12_000)]   // 1 + 0.5 × 1/2 = 1.25, rounded down to the step
    [InlineData(4, 2, 15_000)]   // 1 + 0.5 × 2/2
    [InlineData(9, 0, 20_000)]   // no driver counts as one: 1 + 0.5 × 8 = 5, bounded by the maximum
    public void The_surge_multiplier_grows_with_requests_per_driver_in_steps_and_within_bounds(int requests, int drivers, int expected)
    {
        var policy = new SurgePolicy(Enabled: true, TimeSpan.FromMinutes(10), MaxBasisPoints: 20_000, StepBasisPoints: 1_000, SensitivityBasisPoints: 5_000, MinRequests: 2);

        Assert.Equal(expected, policy.MultiplierBasisPoints(requests, drivers));
        Assert.Equal(SurgeMultiplier.None, (policy with { Enabled = false }).MultiplierBasisPoints(requests, drivers));
    }

    [Fact]
    public void A_fare_without_surge_is_exactly_the_fare_and_a_surged_one_is_rounded_half_up_to_the_cent()
    {
        var fare = new Money(1_235, Currency.Eur);

        Assert.Equal(fare, SurgeMultiplier.Apply(fare, SurgeMultiplier.None));
        Assert.Equal(new Money(1_482, Currency.Eur), SurgeMultiplier.Apply(fare, 12_000)); // 1 482.0
        Assert.Equal(new Money(1_606, Currency.Eur), SurgeMultiplier.Apply(fare, 13_000)); // 1 605.5
        Assert.Throws<ArgumentOutOfRangeException>(() => SurgeMultiplier.Apply(fare, 9_000));
        Assert.Equal(FareCalculator.Estimate(MarketCatalog.BuiltIn.City(null).DefaultClass.Fare, 2_000, TimeSpan.FromMinutes(5)),
            SurgeMultiplier.Apply(FareCalculator.Estimate(MarketCatalog.BuiltIn.City(null).DefaultClass.Fare, 2_000, TimeSpan.FromMinutes(5)), SurgeMultiplier.None));
    }
}
