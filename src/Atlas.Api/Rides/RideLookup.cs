using Atlas.Actors;
using Atlas.Grains.Rides;

namespace Atlas.Api.Rides;

/// <summary>Reads several rides at once for history lists.</summary>
internal static class RideLookup
{
    public static async Task<IReadOnlyList<RideSummary>> SummariesAsync(IGrainFactory grains, IReadOnlyList<string> rideIds)
    {
        var views = await Task.WhenAll(rideIds.Select(async id =>
        {
            try
            {
                return await grains.GetGrain<IOrderGrain>(id).Get();
            }
            catch (UnknownRideException)
            {
                return null; // listed but never created (its creation failed part-way): nothing to show
            }
        }));
        return views.OfType<RideView>().Select(RideSummary.From).ToArray();
    }
}
