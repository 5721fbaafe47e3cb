using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>Thrown when a driver availability change is not in <see cref="DriverTransitions"/>.</summary>
[GenerateSerializer, Alias("atlas.IllegalDriverTransitionException")]
public sealed class IllegalDriverTransitionException : DomainException
{
    public IllegalDriverTransitionException(DriverStatus from, DriverStatus to)
        : base($"A driver may not move from {Name(from)} to {Name(to)}.")
    {
        From = from;
        To = to;
    }

    [Id(0)]
    public DriverStatus From { get; }

    [Id(1)]
    public DriverStatus To { get; }

    private static string Name(DriverStatus status) =>
        Enum.IsDefined(status) ? status.ToWireName() : status.ToString();
}
