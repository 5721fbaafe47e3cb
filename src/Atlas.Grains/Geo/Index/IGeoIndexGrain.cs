using System.Collections.Immutable;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// One shard of the driver index (key: <see cref="GeoIndexShards.Key"/>): the available drivers of one vehicle type
/// in one grid cell. Sharding by cell and vehicle type keeps every shard small and no shard hot.
/// </summary>
public interface IGeoIndexGrain : IGrainWithStringKey
{
    [OneWay]
    Task Upsert(string driverId, GeoPoint location, DateTimeOffset seenAt);

    [OneWay]
    Task Remove(string driverId);

    /// <summary>The <paramref name="k"/> nearest entries within the radius seen at or after <paramref name="freshSince"/>.</summary>
    [ReadOnly]
    Task<ImmutableArray<GeoNeighbor>> Nearest(GeoPoint center, double radiusMeters, int k, DateTimeOffset freshSince);

    [ReadOnly]
    Task<int> Count();
}

/// <summary>Names index shards.</summary>
public static class GeoIndexShards
{
    public static string Key(VehicleType vehicleType, GeoCell cell) => $"{vehicleType.ToWireName()}:{cell.Key}";

    public static string Key(VehicleType vehicleType, GeoPoint point, double cellSizeDegrees) =>
        Key(vehicleType, GeoCell.FromPoint(point, cellSizeDegrees));
}
