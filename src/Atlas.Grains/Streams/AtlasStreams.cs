using Orleans.Runtime;

namespace Atlas.Grains.Streams;

/// <summary>
/// The platform's Orleans streams: one stream provider (<see cref="ProviderName"/>, chosen by configuration: memory,
/// Redis Streams or Azure Event Hubs) and two kinds of stream. A ride's events go to a stream of its own
/// (<see cref="RideEvents"/>, keyed by the ride id), so they stay in order whatever the transport, each ride is
/// delivered independently (a slow or failing ride holds back no other), and consumers subscribe implicitly per ride.
/// A driver's positions go to the driver's stream (<see cref="DriverPositions"/>, keyed by the driver id).
/// </summary>
public static class AtlasStreams
{
    /// <summary>The name of the platform's stream provider on every silo.</summary>
    public const string ProviderName = "atlas";

    /// <summary>The namespace of the ride event streams (<see cref="Rides.Events.RideEventMessage"/>).</summary>
    public const string RideEvents = "atlas.ride-events";

    /// <summary>The namespace of the driver position streams (<see cref="Rides.Events.DriverLocationMessage"/>).</summary>
    public const string DriverPositions = "atlas.driver-positions";

    /// <summary>The stream of <paramref name="rideId"/>'s events.</summary>
    public static StreamId RideStream(string rideId) => StreamId.Create(RideEvents, rideId);

    /// <summary>The stream of <paramref name="driverId"/>'s positions.</summary>
    public static StreamId PositionStream(string driverId) => StreamId.Create(DriverPositions, driverId);
}
