using Orleans;
using Orleans.Concurrency;
using Atlas.Grains.Geo;

namespace Atlas.Grains.Surge;

/// <summary>
/// Demand and supply of one cell of one city (key: <see cref="SurgeCells.Key"/>): the rides requested there over the
/// city's surge window against the available drivers the index saw there in that window, and the multiplier they make.
/// Kept in memory only: a window is minutes long, and a cell that lost its activation starts from no surge.
/// </summary>
public interface ISurgeGrain : IGrainWithStringKey
{
    /// <summary>The multiplier now, with the counts behind it.</summary>
    Task<SurgeQuote> Quote();

    /// <summary>A ride was requested in the cell: it counts as an open request for the window (once per ride).</summary>
    [OneWay]
    Task RecordRequest(string rideId);
}

/// <summary>A surge multiplier (basis points, 10 000 = ×1.0) and the counts it came from.</summary>
[GenerateSerializer, Immutable, Alias("atlas.SurgeQuote")]
public sealed record SurgeQuote(
    [property: Id(0)] int MultiplierBasisPoints,
    [property: Id(1)] int OpenRequests,
    [property: Id(2)] int AvailableDrivers,
    [property: Id(3)] DateTimeOffset At);

/// <summary>Names surge cells: the index cell of a point, per city.</summary>
public static class SurgeCells
{
    /// <summary><c>{cell}@{city}</c>, e.g. <c>2164:5737@default</c>.</summary>
    public static string Key(string city, GeoCell cell) => $"{cell.Key}@{city}";

    public static (string City, string CellKey) Parse(string key)
    {
        var at = key.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? throw new ArgumentException($"'{key}' is not a surge cell key ({{cell}}@{{city}}).", nameof(key)) : (key[(at + 1)..], key[..at]);
    }
}
