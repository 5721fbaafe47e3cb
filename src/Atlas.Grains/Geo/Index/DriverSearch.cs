using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// Finds the nearest available drivers by asking the index shards that cover a circle, smallest radius first and
/// widening only while fewer than k were found (<see cref="NearestSearch.WideningAsync"/>). Exact: each shard returns
/// its own nearest, and the nearest of their union are the nearest overall.
/// </summary>
public sealed class DriverSearch(IGrainFactory grains, GeoIndexOptions options)
{
    public async Task<IReadOnlyList<GeoNeighbor>> FindNearestAsync(
        GeoPoint center, string vehicleClass, int k, DateTimeOffset freshSince, RadiusSteps? steps = null, IReadOnlySet<string>? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var perShard = k + (exclude?.Count ?? 0);
        return await NearestSearch.WideningAsync(async (radius, _) =>
        {
            var shards = GeoCell.Covering(center, radius, options.CellSizeDegrees);
            var answers = await Task.WhenAll(shards.Select(cell =>
                grains.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key(vehicleClass, cell)).Nearest(center, radius, perShard, freshSince)));
            return answers
                .SelectMany(found => found)
                .Where(n => exclude is null || !exclude.Contains(n.Id))
                .Select(n => new GeoCandidate(n.Id, n.Location, n.LastSeen));
        }, center, k, freshSince, steps);
    }
}
