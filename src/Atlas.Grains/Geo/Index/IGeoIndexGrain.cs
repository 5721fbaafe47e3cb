using System.Collections.Immutable;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// One shard of the driver index (key: <see cref="GeoIndexShards.Key"/>): the available drivers of one vehicle class
/// in one grid cell. Sharding by cell and vehicle class keeps every shard small and no shard hot.
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

    /// <summary>How many drivers the shard holds whose last position is at or after <paramref name="since"/> (surge supply).</summary>
    [ReadOnly]
    Task<int> CountSeenSince(DateTimeOffset since);
}

/// <summary>Names index shards.</summary>
public static class GeoIndexShards
{
    /// <summary><c>{class}:{cell}</c>, e.g. <c>moto:2164:5737</c>; class names are lower-case (see <see cref="Markets.VehicleClass"/>).</summary>
    public static string Key(string vehicleClass, GeoCell cell) => $"{vehicleClass}:{cell.Key}";

    public static string Key(string vehicleClass, GeoPoint point, double cellSizeDegrees) =>
        Key(vehicleClass, GeoCell.FromPoint(point, cellSizeDegrees));
}
