using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Atlas.Grains.Geo;

/// <summary>A cell of the fixed latitude/longitude grid that shards the driver geo index.</summary>
/// <remarks>
/// <para>
/// The grid is anchored at (-90, -180): <c>LatIndex = floor((lat + 90) / size)</c> and
/// <c>LonIndex = floor((lon + 180) / size) mod (360 / size)</c>, so indices are never negative and the
/// antimeridian wraps (longitude 180 and -180 are the same meridian). The cell size must divide 360 degrees
/// exactly so the last column closes the ring; the top row is clamped so latitude 90 belongs to it.
/// </para>
/// <para>
/// Cells are equal-angle, not equal-area: at 60° a cell is half as wide as at the equator. That is fine for
/// sharding because <see cref="Covering"/> scales the longitude span by the latitude.
/// </para>
/// <para>
/// <see cref="Key"/> leaves the size out, so one deployment must use one size everywhere; changing it means
/// rebuilding the index. Placement and <see cref="Covering"/> use the same floating-point expressions, which are
/// monotonic, so a point inside the searched box always lands in a covered cell even at cell borders.
/// </para>
/// </remarks>
public readonly record struct GeoCell
{
    /// <summary>0.05° ≈ 5.6 km of latitude: a 5 km search touches at most a handful of cells.</summary>
    public const double DefaultSizeDegrees = 0.05;

    /// <summary>Smallest accepted size (≈ 110 m); below it coverings explode in cell count.</summary>
    public const double MinSizeDegrees = 0.001;

    /// <summary>Largest accepted size: two rows, one column.</summary>
    public const double MaxSizeDegrees = 180;

    // Widens the searched box by ~0.1 mm so last-bit disagreements between the haversine and the box never drop a cell.
    private const double PaddingDegrees = 1e-9;

    /// <exception cref="ArgumentOutOfRangeException">The size is invalid or an index lies outside the grid.</exception>
    public GeoCell(int latIndex, int lonIndex, double sizeDegrees)
    {
        ValidateSize(sizeDegrees);
        var latCount = LatitudeCellCount(sizeDegrees);
        var lonCount = LongitudeCellCount(sizeDegrees);
        if (latIndex < 0 || latIndex >= latCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(latIndex), latIndex, $"Latitude index must be in [0, {latCount}) for cells of {sizeDegrees}°.");
        }

        if (lonIndex < 0 || lonIndex >= lonCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(lonIndex), lonIndex, $"Longitude index must be in [0, {lonCount}) for cells of {sizeDegrees}°.");
        }

        LatIndex = latIndex;
        LonIndex = lonIndex;
        SizeDegrees = sizeDegrees;
    }

    // For indices computed here from a validated size; skips re-validating per cell.
    private GeoCell(int latIndex, int lonIndex, double sizeDegrees, bool trusted)
    {
        _ = trusted;
        LatIndex = latIndex;
        LonIndex = lonIndex;
        SizeDegrees = sizeDegrees;
    }

    public int LatIndex { get; }

    public int LonIndex { get; }

    public double SizeDegrees { get; }

    /// <summary>Stable shard key <c>"{LatIndex}:{LonIndex}"</c>, e.g. <c>"2777:3651"</c>.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"{LatIndex}:{LonIndex}");

    /// <summary>Nominal southern edge in degrees.</summary>
    public double MinLatitude => GeoPoint.MinLatitude + (LatIndex * SizeDegrees);

    /// <summary>Nominal northern edge in degrees (the top row is clamped to 90).</summary>
    public double MaxLatitude => Math.Min(GeoPoint.MaxLatitude, GeoPoint.MinLatitude + ((LatIndex + 1) * SizeDegrees));

    /// <summary>Nominal western edge in degrees.</summary>
    public double MinLongitude => GeoPoint.MinLongitude + (LonIndex * SizeDegrees);

    /// <summary>Nominal eastern edge in degrees.</summary>
    public double MaxLongitude => GeoPoint.MinLongitude + ((LonIndex + 1) * SizeDegrees);

    /// <summary>Number of grid rows for a size (the top one may be a half row when 360/size is odd).</summary>
    public static int LatitudeCellCount(double sizeDegrees) => (LongitudeCellCount(sizeDegrees) + 1) / 2;

    /// <summary>Number of grid columns for a size: exactly 360/size.</summary>
    public static int LongitudeCellCount(double sizeDegrees)
    {
        ValidateSize(sizeDegrees);
        return (int)Math.Round(360.0 / sizeDegrees);
    }

    /// <summary>The cell a point is stored in.</summary>
    public static GeoCell FromPoint(GeoPoint point, double cellSizeDegrees = DefaultSizeDegrees)
    {
        var lonCount = LongitudeCellCount(cellSizeDegrees);
        var latCount = (lonCount + 1) / 2;
        return new GeoCell(
            LatIndexOf(point.Latitude, cellSizeDegrees, latCount),
            Wrap(RawLonIndexOf(point.Longitude, cellSizeDegrees), lonCount),
            cellSizeDegrees,
            trusted: true);
    }

    /// <summary>Whether the point is stored in this cell.</summary>
    public bool Contains(GeoPoint point) => FromPoint(point, SizeDegrees) == this;

    /// <summary>
    /// Every cell that intersects the latitude/longitude bounding box of the circle of
    /// <paramref name="radiusMeters"/> around <paramref name="center"/>, ordered by row then column.
    /// </summary>
    /// <remarks>
    /// The box is exact for a spherical cap: ± r/R in latitude and ± asin(sin(r/R) / cos(lat)) in longitude
    /// (the longitude span grows as meridians converge). When the circle reaches a pole every meridian passes
    /// through it, so all columns of the rows it touches are returned. Boxes crossing the antimeridian wrap.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The radius is negative or not finite, or the size is invalid.</exception>
    public static IReadOnlyList<GeoCell> Covering(
        GeoPoint center, double radiusMeters, double cellSizeDegrees = DefaultSizeDegrees)
    {
        if (!double.IsFinite(radiusMeters) || radiusMeters < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(radiusMeters), radiusMeters, "Radius must be a finite, non-negative number of metres.");
        }

        var lonCount = LongitudeCellCount(cellSizeDegrees);
        var latCount = (lonCount + 1) / 2;

        var angularRadius = Math.Min(radiusMeters / GeoMath.EarthRadiusMeters, Math.PI);
        var angularRadiusDegrees = GeoMath.ToDegrees(angularRadius);
        var minLat = center.Latitude - angularRadiusDegrees - PaddingDegrees;
        var maxLat = center.Latitude + angularRadiusDegrees + PaddingDegrees;

        var allColumns = minLat <= GeoPoint.MinLatitude || maxLat >= GeoPoint.MaxLatitude;
        var lonSpan = 0.0;
        if (!allColumns)
        {
            // No pole inside, so |lat| + r/R < 90° and the ratio stays below 1.
            var ratio = Math.Sin(angularRadius) / Math.Cos(GeoMath.ToRadians(center.Latitude));
            lonSpan = ratio >= 1 ? 180 : GeoMath.ToDegrees(Math.Asin(ratio)) + PaddingDegrees;
            allColumns = lonSpan >= 180;
        }

        // Sorted and de-duplicated: wrapped ranges may overlap when the box is nearly a full ring.
        var columns = new SortedSet<int>();
        if (allColumns)
        {
            columns.UnionWith(Enumerable.Range(0, lonCount));
        }
        else
        {
            var west = center.Longitude - lonSpan;
            var east = center.Longitude + lonSpan;
            if (west < GeoPoint.MinLongitude)
            {
                MarkColumns(columns, west + 360, GeoPoint.MaxLongitude, cellSizeDegrees, lonCount);
                MarkColumns(columns, GeoPoint.MinLongitude, east, cellSizeDegrees, lonCount);
            }
            else if (east > GeoPoint.MaxLongitude)
            {
                MarkColumns(columns, west, GeoPoint.MaxLongitude, cellSizeDegrees, lonCount);
                MarkColumns(columns, GeoPoint.MinLongitude, east - 360, cellSizeDegrees, lonCount);
            }
            else
            {
                MarkColumns(columns, west, east, cellSizeDegrees, lonCount);
            }
        }

        var firstRow = LatIndexOf(Math.Max(minLat, GeoPoint.MinLatitude), cellSizeDegrees, latCount);
        var lastRow = LatIndexOf(Math.Min(maxLat, GeoPoint.MaxLatitude), cellSizeDegrees, latCount);
        var cells = new List<GeoCell>();
        for (var row = firstRow; row <= lastRow; row++)
        {
            foreach (var column in columns)
            {
                cells.Add(new GeoCell(row, column, cellSizeDegrees, trusted: true));
            }
        }

        return cells;
    }

    /// <summary>Parses a <see cref="Key"/> back into a cell of the given size.</summary>
    /// <exception cref="FormatException">The key is not <c>"{int}:{int}"</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The indices lie outside the grid for that size.</exception>
    public static GeoCell FromKey(string key, double cellSizeDegrees = DefaultSizeDegrees)
    {
        ArgumentNullException.ThrowIfNull(key);
        var separator = key.IndexOf(':', StringComparison.Ordinal);
        if (separator <= 0
            || !int.TryParse(key.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var lat)
            || !int.TryParse(key.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var lon))
        {
            throw new FormatException($"Geo cell key must look like '123:456', but was '{key}'.");
        }

        return new GeoCell(lat, lon, cellSizeDegrees);
    }

    public static bool TryFromKey([NotNullWhen(true)] string? key, double cellSizeDegrees, out GeoCell cell)
    {
        try
        {
            if (key is not null)
            {
                cell = FromKey(key, cellSizeDegrees);
                return true;
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
        }

        cell = default;
        return false;
    }

    /// <exception cref="ArgumentOutOfRangeException">
    /// The size is not finite, outside [<see cref="MinSizeDegrees"/>, <see cref="MaxSizeDegrees"/>], or does not divide 360 exactly.
    /// </exception>
    public static void ValidateSize(double cellSizeDegrees)
    {
        if (!(cellSizeDegrees is >= MinSizeDegrees and <= MaxSizeDegrees))
        {
            throw new ArgumentOutOfRangeException(
                nameof(cellSizeDegrees),
                cellSizeDegrees,
                $"Cell size must be between {MinSizeDegrees}° and {MaxSizeDegrees}°.");
        }

        var columns = 360.0 / cellSizeDegrees;
        if (Math.Abs(columns - Math.Round(columns)) > 1e-9 * columns)
        {
            throw new ArgumentOutOfRangeException(
                nameof(cellSizeDegrees),
                cellSizeDegrees,
                "Cell size must divide 360° exactly (e.g. 0.05, 0.1, 0.25) so the grid wraps at the antimeridian.");
        }
    }

    public override string ToString() => Key;

    private static int LatIndexOf(double latitude, double size, int latCount) =>
        Math.Clamp((int)Math.Floor((latitude - GeoPoint.MinLatitude) / size), 0, latCount - 1);

    // Not wrapped: 180° may give the column count, which Wrap folds onto column 0 with -180°.
    private static int RawLonIndexOf(double longitude, double size) =>
        (int)Math.Floor((longitude - GeoPoint.MinLongitude) / size);

    private static int Wrap(int rawIndex, int count) => ((rawIndex % count) + count) % count;

    private static void MarkColumns(SortedSet<int> columns, double west, double east, double size, int lonCount)
    {
        var first = RawLonIndexOf(west, size);
        var last = RawLonIndexOf(east, size);
        for (var raw = first; raw <= last; raw++)
        {
            columns.Add(Wrap(raw, lonCount));
        }
    }
}
