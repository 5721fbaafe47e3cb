using Atlas.Grains.Common;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Fares;

/// <summary>Thrown when no fare policy is configured for a city and vehicle type, so the ride cannot be priced.</summary>
[GenerateSerializer, Alias("atlas.FarePolicyNotFoundException")]
public sealed class FarePolicyNotFoundException : DomainException
{
    public FarePolicyNotFoundException(string city, VehicleType vehicleType)
        : base($"No fare policy is configured for '{Name(vehicleType)}' rides in city '{city}'.")
    {
        City = city;
        VehicleType = vehicleType;
    }

    [Id(0)]
    public string City { get; }

    [Id(1)]
    public VehicleType VehicleType { get; }

    private static string Name(VehicleType type) => Enum.IsDefined(type) ? type.ToWireName() : type.ToString();
}
