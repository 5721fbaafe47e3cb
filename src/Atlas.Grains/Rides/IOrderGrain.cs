using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Grains.Rides;

/// <summary>
/// A ride (key: ride id): the state machine CREATED → MATCHED → ARRIVED → STARTED → FINISHED, with CANCELLED and
/// NO_DRIVER. Each move is allowed only to its actor (<see cref="RideTransitions"/>); a repeated move by the same
/// participant returns the ride unchanged (safe retries). The ride runs dispatch (search, claim, offer with a time
/// limit, next candidate on decline or time-out) and, once closed, delivers its payments from a durable outbox.
/// </summary>
public interface IOrderGrain : IGrainWithStringKey, IRemindable
{
    /// <summary>Creates the ride with its fare estimate (status CREATED). Repeating it with the same request returns the ride.</summary>
    Task<RideView> Create(RideRequest request);

    /// <summary>Holds the estimate (plus margin) on the rider's wallet and starts looking for a driver.</summary>
    Task<RideView> RequestDriver();

    Task<RideView> AcceptOffer(string driverId);

    Task<RideView> DeclineOffer(string driverId);

    Task<RideView> MarkArrived(string driverId);

    Task<RideView> StartTrip(string driverId);

    Task<RideView> FinishTrip(string driverId);

    Task<RideView> Cancel(RideActor actor, string actorId, string? reason);

    [ReadOnly]
    Task<RideView> Get();
}
