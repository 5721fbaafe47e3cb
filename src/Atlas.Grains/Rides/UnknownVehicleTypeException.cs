using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>Thrown when text is not one of the wire names of <see cref="VehicleType"/>.</summary>
[GenerateSerializer, Alias("atlas.UnknownVehicleTypeException")]
public sealed class UnknownVehicleTypeException : DomainException
{
    public UnknownVehicleTypeException(string? value)
        : base($"Unknown vehicle type '{value}'; expected one of: {string.Join(", ", VehicleTypes.All.Select(static v => v.ToWireName()))}.")
    {
        Value = value;
    }

    /// <summary>The text that failed to parse, as received.</summary>
    [Id(0)]
    public string? Value { get; }
}
