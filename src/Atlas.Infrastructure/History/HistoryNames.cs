using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;

namespace Atlas.Infrastructure.History;

/// <summary>How the history tables spell actors and driver statuses (stable text, not enum numbers).</summary>
internal static class HistoryNames
{
    internal static string ActorName(RideActor actor) => actor switch
    {
        RideActor.Rider => "rider",
        RideActor.Driver => "driver",
        RideActor.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(actor), actor, "Not a defined ride actor."),
    };

    internal static RideActor ParseActor(string name) => name switch
    {
        "rider" => RideActor.Rider,
        "driver" => RideActor.Driver,
        "system" => RideActor.System,
        _ => throw new FormatException($"unknown actor '{name}'"),
    };

    internal static string DriverStatusName(DriverStatusSnapshot status) => status switch
    {
        DriverStatusSnapshot.Offline => "offline",
        DriverStatusSnapshot.Available => "available",
        DriverStatusSnapshot.Offered => "offered",
        DriverStatusSnapshot.OnTrip => "on_trip",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined driver status."),
    };
}
