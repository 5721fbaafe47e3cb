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
        var sinHalfDLat = Math.Sin((lat2 - lat1) / 2);
        var sinHalfDLon = Math.Sin(ToRadians(b.Longitude - a.Longitude) / 2);

        var h = (sinHalfDLat * sinHalfDLat) + (Math.Cos(lat1) * Math.Cos(lat2) * sinHalfDLon * sinHalfDLon);

        // Rounding can push h a hair above 1 for antipodal points, which would make Asin return NaN.
        h = Math.Clamp(h, 0.0, 1.0);
        return 2 * EarthRadiusMeters * Math.Asin(Math.Sqrt(h));
    }

    internal static double ToRadians(double degrees) => degrees * (Math.PI / 180.0);

    internal static double ToDegrees(double radians) => radians * (180.0 / Math.PI);
}
