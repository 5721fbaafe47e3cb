namespace Atlas.Grains.Geo;

/// <summary>A validated WGS-84 position in decimal degrees.</summary>
/// <remarks>
/// Validation lives in the init accessors, so <c>with</c> expressions cannot bypass it.
/// <c>default(GeoPoint)</c> is (0, 0), which is a valid position.
/// Both -180 and 180 are accepted for longitude; they denote the same meridian.
/// </remarks>
[GenerateSerializer, Immutable, Alias("atlas.GeoPoint")]
public readonly record struct GeoPoint
{
    public const double MinLatitude = -90;
    public const double MaxLatitude = 90;
    public const double MinLongitude = -180;
    public const double MaxLongitude = 180;

    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="latitude"/> is outside [-90, 90] or <paramref name="longitude"/> outside [-180, 180], or either is NaN/infinite.
    /// </exception>
    public GeoPoint(double latitude, double longitude)
    {
        Latitude = latitude;
        Longitude = longitude;
    }

    [Id(0)]
    public double Latitude
    {
        get;
        init => field = IsValidLatitude(value)
            ? value
            : throw new ArgumentOutOfRangeException(
                "latitude", value, "Latitude must be a finite number of degrees in [-90, 90].");
    }

    [Id(1)]
    public double Longitude
    {
        get;
        init => field = IsValidLongitude(value)
            ? value
            : throw new ArgumentOutOfRangeException(
                "longitude", value, "Longitude must be a finite number of degrees in [-180, 180].");
    }

    // Comparisons with NaN are false, so these also reject NaN; infinities fall outside the ranges.
    public static bool IsValidLatitude(double latitude) => latitude is >= MinLatitude and <= MaxLatitude;

    public static bool IsValidLongitude(double longitude) => longitude is >= MinLongitude and <= MaxLongitude;

    /// <summary>Creates a point without throwing; for untrusted input such as request bodies.</summary>
    public static bool TryCreate(double latitude, double longitude, out GeoPoint point)
    {
        if (IsValidLatitude(latitude) && IsValidLongitude(longitude))
        {
            point = new GeoPoint(latitude, longitude);
            return true;
        }

        point = default;
        return false;
    }

    public void Deconstruct(out double latitude, out double longitude)
    {
        latitude = Latitude;
        longitude = Longitude;
    }
}
