using Atlas.Grains.Rides;

namespace Atlas.Grains.Fares;

using Atlas.Grains.Monetary;

/// <summary>Prices used for the default city when configuration gives none; EUR, 20 % commission.</summary>
public static class BuiltInFarePolicies
{
    public static FarePolicy Economy { get; } = new(Currency.Eur, 250, 120, 30, 500, 2000, 300);

    public static FarePolicy Comfort { get; } = new(Currency.Eur, 350, 160, 40, 700, 2000, 400);

    public static FarePolicy Xl { get; } = new(Currency.Eur, 450, 200, 45, 900, 2000, 500);

    public static FarePolicy Premium { get; } = new(Currency.Eur, 600, 280, 60, 1500, 2000, 800);

    public static FarePolicy For(VehicleType type) => type switch
    {
        VehicleType.Economy => Economy,
        VehicleType.Comfort => Comfort,
        VehicleType.Xl => Xl,
        VehicleType.Premium => Premium,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a defined vehicle type."),
    };
}
