using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>Thrown when text is not one of the wire names of <see cref="RideStatus"/>.</summary>
[GenerateSerializer, Alias("atlas.UnknownRideStatusException")]
public sealed class UnknownRideStatusException : DomainException
{
    public UnknownRideStatusException(string? value)
        : base($"Unknown ride status '{value}'; expected one of: {string.Join(", ", RideStatuses.All.Select(static v => v.ToWireName()))}.")
    {
        Value = value;
    }

    /// <summary>The text that failed to parse, as received.</summary>
    [Id(0)]
    public string? Value { get; }
}
