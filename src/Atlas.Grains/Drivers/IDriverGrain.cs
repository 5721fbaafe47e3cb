using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Geo;

namespace Atlas.Grains.Drivers;

/// <summary>
/// A driver (key: driver id): profile, status (offline → available → offered → on trip), last position.
/// Rides call it to claim the driver for an offer: its single turn makes the claim exclusive.
/// </summary>
public interface IDriverGrain : IGrainWithStringKey
{
    /// <summary>Registers the driver or updates the profile (vehicle class only while not offered or on a trip).</summary>
    Task<DriverSnapshot> Register(DriverRegistration registration);

    Task<DriverSnapshot> GoOnline();

    Task<DriverSnapshot> GoOffline();

    /// <summary>Accepts a position stamped <paramref name="timestamp"/>; refuses future timestamps and ones older than the last accepted.</summary>
    Task UpdateLocation(GeoPoint location, DateTimeOffset timestamp);

    /// <summary>Claims the driver for an offer if available, fresh and of the right vehicle class; false otherwise.</summary>
    Task<bool> TryClaim(RideOffer offer);

    /// <summary>
    /// Claims the driver and puts them on the ride at once (assign dispatch) if available, fresh and of the right vehicle
    /// class; false otherwise. Repeating it for the same ride returns true.
    /// </summary>
    Task<bool> TryAssign(RideOffer ride);

    /// <summary>Ends the offer of that ride (declined, expired, cancelled); nothing if the driver holds no such offer.</summary>
    Task ReleaseOffer(string rideId);

    /// <summary>The driver accepted the offer: on trip.</summary>
    Task ConfirmTrip(string rideId);

    /// <summary>The trip started: positions from now on count towards the distance driven.</summary>
    Task StartTrip(string rideId);

    /// <summary>The trip finished: the driver is available again; returns the distance driven.</summary>
    Task<TripTrack> CompleteTrip(string rideId);

    /// <summary>The ride was cancelled: the driver is available again.</summary>
    Task CancelTrip(string rideId);

    [ReadOnly]
    Task<DriverSnapshot> GetSnapshot();

    /// <summary>The offer the driver holds, if any.</summary>
    [ReadOnly]
    Task<RideOffer?> GetOffer();

    /// <summary>Rides this driver finished or had cancelled, newest first.</summary>
    [ReadOnly]
    Task<IReadOnlyList<string>> GetRideHistory(int limit);
}
