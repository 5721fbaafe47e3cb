namespace Atlas.Grains.Markets;

/// <summary>
/// The four vehicle types rides and drivers stored before vehicle classes came from configuration. Kept only so that
/// such state still reads: a ride or driver without a class name takes the name of its stored type.
/// </summary>
[GenerateSerializer, Alias("atlas.VehicleType")]
public enum LegacyVehicleType
{
    Economy,
    Comfort,
    Xl,
    Premium,
}

/// <summary>Upgrades <see cref="LegacyVehicleType"/> values.</summary>
public static class LegacyVehicleTypes
{
    /// <summary>The class name of the built-in class that replaced the type (<c>economy</c>, <c>comfort</c>, <c>xl</c>, <c>premium</c>).</summary>
    public static string ClassName(this LegacyVehicleType type) => type switch
    {
        LegacyVehicleType.Comfort => "comfort",
        LegacyVehicleType.Xl => "xl",
        LegacyVehicleType.Premium => "premium",
        _ => "economy",
    };
}
