using Atlas.Grains.Common;

namespace Atlas.Grains.Rides;

/// <summary>Thrown when a ride state change is not in <see cref="RideTransitions"/> for the acting party.</summary>
[GenerateSerializer, Alias("atlas.IllegalRideTransitionException")]
public sealed class IllegalRideTransitionException : DomainException
{
    public IllegalRideTransitionException(RideStatus from, RideStatus to, RideActor actor)
        : base(BuildMessage(from, to, actor))
    {
        From = from;
        To = to;
        Actor = actor;
    }

    [Id(0)]
    public RideStatus From { get; }

    [Id(1)]
    public RideStatus To { get; }

    [Id(2)]
    public RideActor Actor { get; }

    private static string BuildMessage(RideStatus from, RideStatus to, RideActor actor)
    {
        var reason = RideTransitions.IsTerminal(from) ? $" ({Name(from)} is terminal)" : string.Empty;
        return $"{actor} may not move a ride from {Name(from)} to {Name(to)}{reason}.";
    }

    // Undefined enum values must still produce a message rather than a second exception.
    private static string Name(RideStatus status) =>
        Enum.IsDefined(status) ? status.ToWireName() : status.ToString();
}
