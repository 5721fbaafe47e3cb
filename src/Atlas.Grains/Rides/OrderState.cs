using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Rides;

/// <summary>A ride's stored state, including its payment outbox.</summary>
public sealed class OrderState
{
    public bool Created { get; set; }
    public string RiderId { get; set; } = "";
    public GeoPoint Pickup { get; set; }
    public GeoPoint Dropoff { get; set; }
    public VehicleType VehicleType { get; set; }
    public string City { get; set; } = "";
    public FarePolicy? Policy { get; set; }
    public Money Estimate { get; set; }
    public RideStatus Status { get; set; } = RideStatus.Created;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Whether the rider asked for a driver (the hold is placed and dispatch runs).</summary>
    public bool DriverRequested { get; set; }
    public string? HoldReference { get; set; }
    public Money? HeldAmount { get; set; }
    public PendingOffer? Offer { get; set; }
    public List<string> Declined { get; set; } = [];
    public string? DriverId { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public long? DistanceMeters { get; set; }
    public Money? FinalFare { get; set; }
    public Money? Charged { get; set; }
    public RideActor? CancelledBy { get; set; }
    public List<PaymentInstruction> Outbox { get; set; } = [];
    public List<RideEvent> Timeline { get; set; } = [];

    /// <summary>How many timeline events the event stream has acknowledged.</summary>
    public int PublishedEvents { get; set; }
}
