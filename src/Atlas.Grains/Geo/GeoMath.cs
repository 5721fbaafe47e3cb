namespace Atlas.Grains.Geo;

/// <summary>Spherical-earth distance helpers.</summary>
public static class GeoMath
{
    /// <summary>IUGG mean Earth radius R1 in metres; used everywhere so distances and cell coverage agree.</summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>Length of one degree of latitude (and of longitude at the equator) on the sphere, in metres.</summary>
    public const double MetersPerDegree = EarthRadiusMeters * Math.PI / 180.0;

    /// <summary>Great-circle distance in metres by the haversine formula (error ≤ 0.5 % against the ellipsoid).</summary>
    public static double DistanceMeters(GeoPoint a, GeoPoint b)
    {
        var lat1 = ToRadians(a.Latitude);
        var lat2 = ToRadians(b.Latitude);
        return DistanceMeters(lat1, Math.Cos(lat1), a.Longitude, lat2, Math.Cos(lat2), b.Longitude);
    }

    /// <summary>
    /// <see cref="DistanceMeters(GeoPoint, GeoPoint)"/> with each latitude given in radians with its cosine, for callers
    /// that compute those once per point: the same arithmetic in the same order, so the same result to the last bit.
    /// </summary>
    internal static double DistanceMeters(double lat1Radians, double cosLat1, double lon1Degrees, double lat2Radians, double cosLat2, double lon2Degrees)
    {
        var sinHalfDLat = Math.Sin((lat2Radians - lat1Radians) / 2);
        var sinHalfDLon = Math.Sin(ToRadians(lon2Degrees - lon1Degrees) / 2);

        var h = (sinHalfDLat * sinHalfDLat) + (cosLat1 * cosLat2 * sinHalfDLon * sinHalfDLon);

        // Rounding can push h a hair above 1 for antipodal points, which would make Asin return NaN.
        h = Math.Clamp(h, 0.0, 1.0);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Sqrt(h));
    }

    internal static double ToRadians(double degrees) => degrees * (Math.PI / 180.0);

    internal static double ToDegrees(double radians) => radians * (180.0 / Math.PI);
}
