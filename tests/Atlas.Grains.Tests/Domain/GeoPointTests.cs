using Atlas.Grains.Geo;

namespace Atlas.Grains.Tests.Domain;

public class GeoPointTests
{
    [Theory]
    [InlineData(90, 180)]
    [InlineData(-90, -180)]
    [InlineData(90, -180)]
    [InlineData(-90, 180)]
    [InlineData(0, 0)]
    [InlineData(48.8566, 2.3522)]
    public void Points_on_and_inside_the_limits_are_accepted(double latitude, double longitude)
    {
        var point = new GeoPoint(latitude, longitude);

        Assert.Equal(latitude, point.Latitude);
        Assert.Equal(longitude, point.Longitude);
        Assert.True(GeoPoint.TryCreate(latitude, longitude, out var created));
        Assert.Equal(point, created);
    }

    [Theory]
    [InlineData(91)]
    [InlineData(-91)]
    [InlineData(90.000001)]
    [InlineData(-90.000001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Invalid_latitude_is_refused_naming_latitude(double latitude)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GeoPoint(latitude, 0));

        Assert.Equal("latitude", error.ParamName);
        Assert.False(GeoPoint.TryCreate(latitude, 0, out _));
    }

    [Theory]
    [InlineData(181)]
    [InlineData(-181)]
    [InlineData(180.000001)]
    [InlineData(-180.000001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Invalid_longitude_is_refused_naming_longitude(double longitude)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GeoPoint(0, longitude));

        Assert.Equal("longitude", error.ParamName);
        Assert.False(GeoPoint.TryCreate(0, longitude, out _));
    }

    [Fact]
    public void A_with_expression_cannot_bypass_validation()
    {
        var paris = new GeoPoint(48.8566, 2.3522);

        Assert.Throws<ArgumentOutOfRangeException>(() => paris with { Latitude = 91 });
        Assert.Throws<ArgumentOutOfRangeException>(() => paris with { Longitude = double.NaN });
    }
}
