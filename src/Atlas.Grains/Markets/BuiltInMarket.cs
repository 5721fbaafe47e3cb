using Atlas.Grains.Fares;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Markets;

/// <summary>
/// What a city takes for every setting it leaves out, and all of the default city when it is not configured: the
/// market the existing apps serve — motorbike rides by default (<c>go-ride</c>), matched at once, paid in cash — beside
/// four car classes; EUR prices with a 20 % commission.
/// </summary>
public static class BuiltInMarket
{
    public const DispatchMode Dispatch = DispatchMode.Assign;

    public const string DefaultVehicleClass = "moto";

    public const PaymentMethod DefaultPaymentMethod = PaymentMethod.Cash;

    public static IReadOnlyList<PaymentMethod> PaymentMethods { get; } = [PaymentMethod.Cash, PaymentMethod.Wallet];

    /// <summary>€50: a driver may owe the platform that much in commissions of cash rides.</summary>
    public const long DriverCreditLimit = 5_000;

    public static IReadOnlyList<VehicleClass> VehicleClasses { get; } =
    [
        new("economy", ["car", "go-car", "standard"], 4, new FarePolicy(Currency.Eur, 250, 120, 30, 500, 2000, 300)),
        new("comfort", ["go-car-comfort"], 4, new FarePolicy(Currency.Eur, 350, 160, 40, 700, 2000, 400)),
        new("xl", ["go-car-xl", "van"], 6, new FarePolicy(Currency.Eur, 450, 200, 45, 900, 2000, 500)),
        new("premium", ["black", "lux"], 4, new FarePolicy(Currency.Eur, 600, 280, 60, 1500, 2000, 800)),
        // Two-wheelers: a motorbike taxi takes one passenger.
        new("moto", ["go-ride", "ride", "ojek", "motorbike", "motorcycle", "bike-taxi"], 1, new FarePolicy(Currency.Eur, 100, 60, 10, 250, 2000, 100)),
        new("moto-comfort", ["go-ride-comfort", "moto-plus"], 1, new FarePolicy(Currency.Eur, 150, 80, 15, 350, 2000, 150)),
    ];

    public static SurgePolicy Surge { get; } = new(false, TimeSpan.FromMinutes(10), 20_000, 1_000, 5_000, 3);

    /// <summary>Every built-in class name and alias.</summary>
    public static IReadOnlySet<string> ClassNamesAndAliases { get; } =
        VehicleClasses.SelectMany(c => c.Aliases.Prepend(c.Name)).ToHashSet(StringComparer.Ordinal);
}
