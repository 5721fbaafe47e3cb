using Atlas.Grains.Geo;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Drivers;

/// <summary>
/// What a driver keeps in storage: profile, status and ride. Positions are written only at trip checkpoints:
/// between checkpoints they live in the grain and the index, and are sent again by the app every few seconds.
/// </summary>
public sealed class DriverState
{
    public bool Registered { get; set; }
    public string Name { get; set; } = "";
    public VehicleType VehicleType { get; set; }
    public string? City { get; set; }
    public DriverStatus Status { get; set; } = DriverStatus.Offline;
    public RideOffer? Offer { get; set; }
    public string? RideId { get; set; }
    public GeoPoint? Location { get; set; }
    public DateTimeOffset? LocationAt { get; set; }

    /// <summary>The distance driven on the current trip up to the last checkpoint, and where it was.</summary>
    public TripProgress? Trip { get; set; }

    /// <summary>The last finished trip, so that a retried completion returns the same track.</summary>
    public TripTrack? LastTrip { get; set; }

    /// <summary>Recent rides, newest first (bounded).</summary>
    public List<string> RideHistory { get; set; } = [];
}

/// <summary>Distance accumulated on a trip so far.</summary>
public sealed record TripProgress(string RideId, double DistanceMeters, int Positions, GeoPoint? LastPosition);
