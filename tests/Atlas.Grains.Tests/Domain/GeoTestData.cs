using Atlas.Grains.Geo;

namespace Atlas.Grains.Tests.Domain;

/// <summary>Random geometry helpers for property-style tests; always driven by a seeded <see cref="Random"/>.</summary>
internal static class GeoTestData
{
    /// <summary>The point reached from <paramref name="start"/> along a great circle (spherical "destination point").</summary>
    public static GeoPoint Destination(GeoPoint start, double bearingRadians, double distanceMeters)
    {
        var delta = distanceMeters / GeoMath.EarthRadiusMeters;
        var lat1 = start.Latitude * Math.PI / 180;
        var lon1 = start.Longitude * Math.PI / 180;

        var sinLat2 = (Math.Sin(lat1) * Math.Cos(delta)) + (Math.Cos(lat1) * Math.Sin(delta) * Math.Cos(bearingRadians));
        var lat2 = Math.Asin(Math.Clamp(sinLat2, -1, 1));
        var lon2 = lon1 + Math.Atan2(
            Math.Sin(bearingRadians) * Math.Sin(delta) * Math.Cos(lat1),
            Math.Cos(delta) - (Math.Sin(lat1) * Math.Sin(lat2)));

        var latitude = Math.Clamp(lat2 * 180 / Math.PI, -90, 90);
        var longitude = NormalizeLongitude(lon2 * 180 / Math.PI);
        return new GeoPoint(latitude, longitude);
    }

    public static double NormalizeLongitude(double longitude)
    {
        var wrapped = ((longitude + 180) % 360 + 360) % 360 - 180;
        return Math.Clamp(wrapped, -180, 180);
    }

    public static double Between(this Random random, double min, double max) => min + (random.NextDouble() * (max - min));
}
