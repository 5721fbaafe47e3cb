using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>Thrown when text is not one of the wire names of <see cref="DriverStatus"/>.</summary>
[GenerateSerializer, Alias("atlas.UnknownDriverStatusException")]
public sealed class UnknownDriverStatusException : DomainException
{
    public UnknownDriverStatusException(string? value)
        : base($"Unknown driver status '{value}'; expected one of: {string.Join(", ", DriverStatuses.All.Select(static v => v.ToWireName()))}.")
    {
        Value = value;
    }

    /// <summary>The text that failed to parse, as received.</summary>
    [Id(0)]
    public string? Value { get; }
}
