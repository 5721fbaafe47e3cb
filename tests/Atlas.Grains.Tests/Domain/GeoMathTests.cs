using Atlas.Grains.Geo;

namespace Atlas.Grains.Tests.Domain;

public class GeoMathTests
{
    private static readonly GeoPoint Paris = new(48.8566, 2.3522);
    private static readonly GeoPoint London = new(51.5074, -0.1278);

    [Fact]
    public void Paris_to_london_is_about_343_and_a_half_km()
    {
        var meters = GeoMath.DistanceMeters(Paris, London);

        Assert.InRange(meters, 342_500, 344_500);
    }

    [Fact]
    public void Distance_is_symmetric_and_zero_to_itself()
    {
        Assert.Equal(GeoMath.DistanceMeters(Paris, London), GeoMath.DistanceMeters(London, Paris), 6);
        Assert.Equal(0, GeoMath.DistanceMeters(Paris, Paris));
    }

    [Fact]
    public void Quarter_meridian_and_antipodes_match_the_sphere()
    {
        var quarter = Math.PI * GeoMath.EarthRadiusMeters / 2;

        Assert.Equal(quarter, GeoMath.DistanceMeters(new GeoPoint(0, 0), new GeoPoint(90, 0)), 3);
        Assert.Equal(2 * quarter, GeoMath.DistanceMeters(new GeoPoint(0, 0), new GeoPoint(0, 180)), 3);
        Assert.Equal(2 * quarter, GeoMath.DistanceMeters(new GeoPoint(90, 0), new GeoPoint(-90, 0)), 3);
    }

    [Fact]
    public void Crossing_the_antimeridian_takes_the_short_way()
    {
        // 0.2° of longitude at the equator, not 359.8°.
        var meters = GeoMath.DistanceMeters(new GeoPoint(0, 179.9), new GeoPoint(0, -179.9));

        Assert.Equal(0.2 * GeoMath.MetersPerDegree, meters, 3);
    }

    [Fact]
    public void One_degree_of_latitude_is_about_111_km()
    {
        var meters = GeoMath.DistanceMeters(new GeoPoint(10, 20), new GeoPoint(11, 20));

        Assert.Equal(GeoMath.MetersPerDegree, meters, 3);
        Assert.InRange(meters, 111_100, 111_300);
    }
}
