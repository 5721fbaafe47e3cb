using Orleans;
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

    /// <summary>
    /// A page of the ride history projection, when one is configured (PostgreSQL): unbounded and paged; otherwise null,
    /// and the caller lists the rides the rider's or driver's grain remembers.
    /// </summary>
    public static async Task<RideHistory?> FromProjectionAsync(
        IServiceProvider services, Func<Atlas.Grains.Rides.History.IRideHistoryReader, Task<Atlas.Grains.Rides.History.RideHistoryPage>> read, string? current)
    {
        if (services.GetService<Atlas.Grains.Rides.History.IRideHistoryReader>() is not { } history)
        {
            return null;
        }
        var page = await read(history);
        return new RideHistory(page.Rides.Select(RideSummary.From).ToArray(), current, page.Next);
    }
}
