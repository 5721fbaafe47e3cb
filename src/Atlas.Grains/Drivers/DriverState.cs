using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Drivers;

/// <summary>
/// What a driver keeps in storage: profile, status and ride. Positions are written only at trip checkpoints:
/// between checkpoints they live in the grain and the index, and are sent again by the app every few seconds.
/// </summary>
[GenerateSerializer, Alias("atlas.DriverState")]
public sealed class DriverState
{
    [Id(0)]
    public bool Registered { get; set; }
    [Id(1)]
    public string Name { get; set; } = "";
    /// <summary>Read only from drivers stored before vehicle classes came from configuration (see <see cref="VehicleClass"/>).</summary>
    [Id(2)]
    public LegacyVehicleType LegacyVehicleType { get; set; }
    [Id(3)]
    public string? City { get; set; }
    [Id(4)]
    public DriverStatus Status { get; set; } = DriverStatus.Offline;
    [Id(5)]
    public RideOffer? Offer { get; set; }
    [Id(6)]
    public string? RideId { get; set; }
    [Id(7)]
    public GeoPoint? Location { get; set; }
    [Id(8)]
    public DateTimeOffset? LocationAt { get; set; }

    /// <summary>The distance driven on the current trip up to the last checkpoint, and where it was.</summary>
    [Id(9)]
    public TripProgress? Trip { get; set; }

    /// <summary>The last finished trip, so that a retried completion returns the same track.</summary>
    [Id(10)]
    public TripTrack? LastTrip { get; set; }

    /// <summary>Recent rides, newest first (bounded).</summary>
    [Id(11)]
    public List<string> RideHistory { get; set; } = [];

    /// <summary>The class name (canonical); null in drivers stored before classes, which read their legacy type.</summary>
    [Id(12)]
    public string? VehicleClass { get; set; }
}

/// <summary>Distance accumulated on a trip so far.</summary>
[GenerateSerializer, Immutable, Alias("atlas.TripProgress")]
public sealed record TripProgress([property: Id(0)] string RideId, [property: Id(1)] double DistanceMeters, [property: Id(2)] int Positions, [property: Id(3)] GeoPoint? LastPosition);
