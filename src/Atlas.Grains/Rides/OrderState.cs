using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Rides;

/// <summary>A ride's stored state, including its payment outbox.</summary>
[GenerateSerializer, Alias("atlas.OrderState")]
public sealed class OrderState
{
    [Id(0)]
    public bool Created { get; set; }
    [Id(1)]
    public string RiderId { get; set; } = "";
    [Id(2)]
    public GeoPoint Pickup { get; set; }
    [Id(3)]
    public GeoPoint Dropoff { get; set; }
    /// <summary>Read only from rides stored before vehicle classes came from configuration (see <see cref="VehicleClass"/>).</summary>
    [Id(4)]
    public LegacyVehicleType LegacyVehicleType { get; set; }
    [Id(5)]
    public string City { get; set; } = "";
    [Id(6)]
    public FarePolicy? Policy { get; set; }
    [Id(7)]
    public Money Estimate { get; set; }
    [Id(8)]
    public RideStatus Status { get; set; } = RideStatus.Created;
    [Id(9)]
    public DateTimeOffset CreatedAt { get; set; }
    [Id(10)]
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Whether the rider asked for a driver (the hold is placed and dispatch runs).</summary>
    [Id(11)]
    public bool DriverRequested { get; set; }
    [Id(12)]
    public string? HoldReference { get; set; }
    [Id(13)]
    public Money? HeldAmount { get; set; }
    [Id(14)]
    public PendingOffer? Offer { get; set; }
    [Id(15)]
    public List<string> Declined { get; set; } = [];
    [Id(16)]
    public string? DriverId { get; set; }
    [Id(17)]
    public DateTimeOffset? StartedAt { get; set; }
    [Id(18)]
    public long? DistanceMeters { get; set; }
    [Id(19)]
    public Money? FinalFare { get; set; }
    [Id(20)]
    public Money? Charged { get; set; }
    [Id(21)]
    public RideActor? CancelledBy { get; set; }
    [Id(22)]
    public List<PaymentInstruction> Outbox { get; set; } = [];
    [Id(23)]
    public List<RideEvent> Timeline { get; set; } = [];

    /// <summary>How many timeline events the event stream has acknowledged.</summary>
    [Id(24)]
    public int PublishedEvents { get; set; }

    /// <summary>The class name (canonical, not an alias); null in rides stored before classes, which read their legacy type.</summary>
    [Id(25)]
    public string? VehicleClass { get; set; }

    /// <summary>How the rider pays (rides stored before payment methods paid from the wallet, the enum's default).</summary>
    [Id(26)]
    public PaymentMethod PaymentMethod { get; set; }

    /// <summary>How the ride finds its driver (rides stored before dispatch modes were offered, the enum's default).</summary>
    [Id(27)]
    public DispatchMode DispatchMode { get; set; }

    /// <summary>The surge multiplier shown in the estimate and locked into the ride, in basis points (no surge in older rides).</summary>
    [Id(28)]
    public int SurgeBasisPoints { get; set; } = SurgeMultiplier.None;

    /// <summary>The most the rider pays: the estimate plus the hold margin, set at request (the hold, for wallet rides).</summary>
    [Id(29)]
    public Money? MaxFare { get; set; }

    /// <summary>The commission of a cash ride reserved on the wallet of the driver it is offered or assigned to.</summary>
    [Id(30)]
    public CommissionReserve? CommissionReserve { get; set; }

    /// <summary>When the driver marked ARRIVED; null if the trip started without it (waiting-time rules apply only after it).</summary>
    [Id(31)]
    public DateTimeOffset? ArrivedAt { get; set; }
}
