using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Riders;

/// <summary>What a rider keeps: the open ride and recent rides.</summary>
[GenerateSerializer, Alias("atlas.RiderState")]
public sealed class RiderState
{
    [Id(0)]
    public string? OpenRideId { get; set; }
    [Id(1)]
    public List<string> Rides { get; set; } = [];
}

/// <summary>A rider. It calls its rides; rides only answer it one-way, so no call chain loops back.</summary>
public sealed class RiderGrain([PersistentState("rider")] IPersistentState<RiderState> state) : Grain, IRiderGrain
{
    private const int HistoryLimit = 500;

    private string RiderId => this.GetPrimaryKeyString();

    public async Task<RideView> CreateRide(RideRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RiderId != RiderId)
        {
            throw new ArgumentException($"The request is for rider '{request.RiderId}', not '{RiderId}'.", nameof(request));
        }
        if (await GetOpenRide() is { } open)
        {
            throw new RiderHasOpenRideException(RiderId, open);
        }
        var rideId = Guid.NewGuid().ToString("N");
        var ride = await GrainFactory.GetGrain<IOrderGrain>(rideId).Create(request);
        state.State.OpenRideId = rideId;
        state.State.Rides.Insert(0, rideId);
        if (state.State.Rides.Count > HistoryLimit)
        {
            state.State.Rides.RemoveRange(HistoryLimit, state.State.Rides.Count - HistoryLimit);
        }
        await state.WriteStateAsync();
        return ride;
    }

    public async Task<string?> GetOpenRide()
    {
        if (state.State.OpenRideId is not { } rideId)
        {
            return null;
        }
        // The ride's own word counts: its closing notice may still be on its way.
        var ride = await GrainFactory.GetGrain<IOrderGrain>(rideId).Get();
        if (RideTransitions.IsTerminal(ride.Status))
        {
            await OnRideClosed(rideId);
            return null;
        }
        return rideId;
    }

    public Task<IReadOnlyList<string>> GetRideHistory(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return Task.FromResult<IReadOnlyList<string>>(state.State.Rides.Take(limit).ToArray());
    }

    public async Task OnRideClosed(string rideId)
    {
        if (state.State.OpenRideId == rideId)
        {
            state.State.OpenRideId = null;
            await state.WriteStateAsync();
        }
    }
}
