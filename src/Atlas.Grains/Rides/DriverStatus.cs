using System.Diagnostics.CodeAnalysis;

namespace Atlas.Grains.Rides;

/// <summary>Availability of a driver for dispatch; see <see cref="DriverTransitions"/> for the allowed moves.</summary>
[GenerateSerializer, Alias("atlas.DriverStatus")]
public enum DriverStatus
{
    Offline,
    Available,
    Offered,
    OnTrip,
}

/// <summary>Wire names (<c>offline|available|offered|on_trip</c>) for <see cref="DriverStatus"/>.</summary>
public static class DriverStatuses
{
    public static IReadOnlyList<DriverStatus> All { get; } = Enum.GetValues<DriverStatus>();

    public static string ToWireName(this DriverStatus status) => status switch
    {
        DriverStatus.Offline => "offline",
        DriverStatus.Available => "available",
        DriverStatus.Offered => "offered",
        DriverStatus.OnTrip => "on_trip",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined driver status."),
    };

    /// <summary>Parses a wire name, ignoring case and surrounding white space.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out DriverStatus status) =>
        WireNames.TryParse(value, All, static v => v.ToWireName(), out status);

    /// <exception cref="UnknownDriverStatusException"><paramref name="value"/> is not a known wire name.</exception>
    public static DriverStatus Parse(string? value) =>
        TryParse(value, out var status) ? status : throw new UnknownDriverStatusException(value);
}
