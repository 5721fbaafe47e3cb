using System.Diagnostics.CodeAnalysis;

namespace Atlas.Grains.Rides;

/// <summary>Lifecycle state of a ride; see <see cref="RideTransitions"/> for the allowed moves.</summary>
[GenerateSerializer, Alias("atlas.RideStatus")]
public enum RideStatus
{
    Created,
    Matched,
    Arrived,
    Started,
    Finished,
    Cancelled,
    NoDriver,
}

/// <summary>Wire names (<c>CREATED … NO_DRIVER</c>) for <see cref="RideStatus"/>.</summary>
public static class RideStatuses
{
    public static IReadOnlyList<RideStatus> All { get; } = Enum.GetValues<RideStatus>();

    public static string ToWireName(this RideStatus status) => status switch
    {
        RideStatus.Created => "CREATED",
        RideStatus.Matched => "MATCHED",
        RideStatus.Arrived => "ARRIVED",
        RideStatus.Started => "STARTED",
        RideStatus.Finished => "FINISHED",
        RideStatus.Cancelled => "CANCELLED",
        RideStatus.NoDriver => "NO_DRIVER",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined ride status."),
    };

    /// <summary>Parses a wire name, ignoring case and surrounding white space.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out RideStatus status) =>
        WireNames.TryParse(value, All, static v => v.ToWireName(), out status);

    /// <exception cref="UnknownRideStatusException"><paramref name="value"/> is not a known wire name.</exception>
    public static RideStatus Parse(string? value) =>
        TryParse(value, out var status) ? status : throw new UnknownRideStatusException(value);
}
