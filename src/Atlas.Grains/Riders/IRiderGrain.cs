using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Riders;

/// <summary>A rider (key: rider id): at most one open ride at a time, and the history of rides.</summary>
public interface IRiderGrain : IGrainWithStringKey
{
    /// <summary>Creates a ride for this rider; refused with <see cref="RiderHasOpenRideException"/> while another is open.</summary>
    Task<RideView> CreateRide(RideRequest request);

    /// <summary>The rider's open ride, if any.</summary>
    Task<string?> GetOpenRide();

    /// <summary>Ride ids, newest first.</summary>
    [ReadOnly]
    Task<IReadOnlyList<string>> GetRideHistory(int limit);

    /// <summary>Sent by a ride when it closes.</summary>
    [OneWay]
    Task OnRideClosed(string rideId);
}
