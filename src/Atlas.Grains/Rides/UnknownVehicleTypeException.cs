using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>Thrown when text is not one of the wire names of <see cref="VehicleType"/>.</summary>
public sealed class UnknownVehicleTypeException : DomainException
{
    public UnknownVehicleTypeException(string? value)
        : base($"Unknown vehicle type '{value}'; expected one of: {string.Join(", ", VehicleTypes.All.Select(static v => v.ToWireName()))}.")
    {
        Value = value;
    }

    /// <summary>The text that failed to parse, as received.</summary>
    public string? Value { get; }
}
