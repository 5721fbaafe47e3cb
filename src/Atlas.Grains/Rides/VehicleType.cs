using System.Diagnostics.CodeAnalysis;

namespace Atlas.Grains.Rides;

/// <summary>Product tier a rider orders and a driver's vehicle qualifies for.</summary>
[GenerateSerializer, Alias("atlas.VehicleType")]
public enum VehicleType
{
    Economy,
    Comfort,
    Xl,
    Premium,
}

/// <summary>Wire names (<c>economy|comfort|xl|premium</c>) for <see cref="VehicleType"/>.</summary>
public static class VehicleTypes
{
    public static IReadOnlyList<VehicleType> All { get; } = Enum.GetValues<VehicleType>();

    public static string ToWireName(this VehicleType type) => type switch
    {
        VehicleType.Economy => "economy",
        VehicleType.Comfort => "comfort",
        VehicleType.Xl => "xl",
        VehicleType.Premium => "premium",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a defined vehicle type."),
    };

    /// <summary>Parses a wire name, ignoring case and surrounding white space.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out VehicleType type) =>
        WireNames.TryParse(value, All, static v => v.ToWireName(), out type);

    /// <exception cref="UnknownVehicleTypeException"><paramref name="value"/> is not a known wire name.</exception>
    public static VehicleType Parse(string? value) =>
        TryParse(value, out var type) ? type : throw new UnknownVehicleTypeException(value);
}
