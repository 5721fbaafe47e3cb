using Atlas.Grains.Geo;

namespace Atlas.Grains.Tests.Domain;

public class GeoCellTests
{
    [Theory]
    [InlineData(0, 0, "1800:3600")]
    [InlineData(-90, -180, "0:0")]
    [InlineData(90, 0, "3599:3600")] // the pole belongs to the top row
    [InlineData(0, 180, "1800:0")] // 180 and -180 are the same meridian
    [InlineData(0, -180, "1800:0")]
    [InlineData(0.049, 0.051, "1800:3601")]
    [InlineData(-0.001, -0.001, "1799:3599")]
    public void A_point_maps_to_a_stable_key_at_the_default_size(double latitude, double longitude, string key)
    {
        var cell = GeoCell.FromPoint(new GeoPoint(latitude, longitude));

        Assert.Equal(key, cell.Key);
        Assert.Equal(GeoCell.DefaultSizeDegrees, cell.SizeDegrees);
        Assert.True(cell.Contains(new GeoPoint(latitude, longitude)));
    }

    [Fact]
    public void A_key_parses_back_to_the_same_cell()
    {
        var cell = GeoCell.FromPoint(new GeoPoint(48.8566, 2.3522));

        Assert.Equal(cell, GeoCell.FromKey(cell.Key));
        Assert.True(GeoCell.TryFromKey(cell.Key, GeoCell.DefaultSizeDegrees, out var parsed));
        Assert.Equal(cell, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("12:")]
    [InlineData(":12")]
    [InlineData("a:b")]
    [InlineData("-1:3")]
    [InlineData("1:2:3")]
    public void Malformed_keys_are_refused(string key)
    {
        Assert.Throws<FormatException>(() => GeoCell.FromKey(key));
        Assert.False(GeoCell.TryFromKey(key, GeoCell.DefaultSizeDegrees, out _));
    }

    [Theory]
    [InlineData("3600:0")]
    [InlineData("0:7200")]
    public void Keys_outside_the_grid_are_refused(string key)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GeoCell.FromKey(key));
        Assert.False(GeoCell.TryFromKey(key, GeoCell.DefaultSizeDegrees, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.05)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.07)] // does not divide 360
    [InlineData(200)]
    [InlineData(0.0001)]
    public void Invalid_cell_sizes_are_refused(double size)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GeoCell.FromPoint(new GeoPoint(0, 0), size));
        Assert.Equal("cellSizeDegrees", error.ParamName);
    }

    [Fact]
    public void Cell_bounds_contain_the_points_stored_in_it()
    {
        var point = new GeoPoint(48.8566, 2.3522);
        var cell = GeoCell.FromPoint(point, 0.1);

        Assert.InRange(point.Latitude, cell.MinLatitude, cell.MaxLatitude);
        Assert.InRange(point.Longitude, cell.MinLongitude, cell.MaxLongitude);
        Assert.Equal(0.1, cell.MaxLatitude - cell.MinLatitude, 9);
    }

    [Fact]
    public void A_5_km_search_at_the_default_size_touches_only_a_few_cells()
    {
        var cells = GeoCell.Covering(new GeoPoint(48.8566, 2.3522), 5_000);

        // 2 × 0.045° of latitude and 2 × 0.068° of longitude: at most 3 rows × 4 columns.
        Assert.InRange(cells.Count, 4, 12);
        Assert.Equal(cells.Count, cells.Distinct().Count());
        Assert.Contains(GeoCell.FromPoint(new GeoPoint(48.8566, 2.3522)), cells);
    }

    [Fact]
    public void A_zero_radius_covers_the_centre_cell()
    {
        var center = new GeoPoint(12.34, 56.78);

        Assert.Contains(GeoCell.FromPoint(center), GeoCell.Covering(center, 0));
    }

    [Fact]
    public void A_circle_around_a_pole_covers_every_column()
    {
        var cells = GeoCell.Covering(new GeoPoint(89.99, 10), 5_000, 1);

        Assert.Equal(360, cells.Count(c => c.LatIndex == 179));
    }

    [Fact]
    public void A_circle_on_the_antimeridian_covers_both_sides()
    {
        var cells = GeoCell.Covering(new GeoPoint(0, 179.99), 5_000, 0.05);

        Assert.Contains(cells, c => c.LonIndex == 0);
        Assert.Contains(cells, c => c.LonIndex == 7_199);
        Assert.DoesNotContain(cells, c => c.LonIndex is > 2 and < 7_195);
    }

    [Fact]
    public void A_radius_larger_than_the_earth_covers_the_whole_grid()
    {
        var cells = GeoCell.Covering(new GeoPoint(0, 0), 30_000_000, 10);

        Assert.Equal(18 * 36, cells.Count);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_radius_is_refused(double radius)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GeoCell.Covering(new GeoPoint(0, 0), radius));
        Assert.Equal("radiusMeters", error.ParamName);
    }

    public static TheoryData<double> CellSizes => [0.05, 0.1, 0.25, 1, 5];

    [Theory]
    [MemberData(nameof(CellSizes))]
    public void Covering_contains_the_cell_of_every_point_inside_the_radius(double cellSize)
    {
        var random = new Random(20_240_601);
        var centers = new List<GeoPoint>
        {
            new(89.999, 0), new(-89.999, 123), new(90, 0), new(-90, 0),
            new(0, 180), new(0, -180), new(45, 179.999), new(-45, -179.999),
            new(0, 0), new(48.8566, 2.3522), new(-33.8688, 151.2093),
        };
        for (var i = 0; i < 150; i++)
        {
            centers.Add(new GeoPoint(random.Between(-90, 90), random.Between(-180, 180)));
        }

        for (var i = 0; i < 60; i++)
        {
            // Extra weight on the awkward places: polar caps and the antimeridian.
            centers.Add(new GeoPoint(random.Between(80, 90) * (random.Next(2) == 0 ? 1 : -1), random.Between(-180, 180)));
            centers.Add(new GeoPoint(random.Between(-85, 85), random.Between(175, 180) * (random.Next(2) == 0 ? 1 : -1)));
        }

        // Large circles near a pole cover whole rings of cells; keep those affordable for small cells.
        var largestRadius = Math.Min(800_000, cellSize * 4_000_000);
        var checkedPoints = 0;
        foreach (var center in centers)
        {
            var radius = random.Next(4) switch
            {
                0 => random.Between(0, 1_000),
                1 => random.Between(1_000, 10_000),
                2 => random.Between(10_000, 100_000),
                _ => random.Between(100_000, largestRadius),
            };
            var covered = GeoCell.Covering(center, radius, cellSize).ToHashSet();

            for (var j = 0; j < 200; j++)
            {
                // Half the samples sit on the circle itself, where a box that is too tight would show first.
                var distance = j % 2 == 0 ? radius : radius * Math.Sqrt(random.NextDouble());
                var point = GeoTestData.Destination(center, random.Between(0, 2 * Math.PI), distance);
                if (GeoMath.DistanceMeters(center, point) > radius)
                {
                    continue;
                }

                checkedPoints++;
                var cell = GeoCell.FromPoint(point, cellSize);
                Assert.True(
                    covered.Contains(cell),
                    $"Cell {cell} of {point} ({GeoMath.DistanceMeters(center, point):F3} m away) is missing from the covering of {center} r={radius:F3} m at {cellSize}°.");
            }
        }

        Assert.True(checkedPoints > 20_000, $"Only {checkedPoints} points were inside their radius; the test is too weak.");
    }

    [Fact]
    public void Covering_includes_points_lying_exactly_on_cell_borders()
    {
        const double size = 0.05;
        var center = new GeoPoint(48.85, 2.35); // both coordinates are multiples of the cell size
        var covered = GeoCell.Covering(center, 6_000, size).ToHashSet();

        for (var i = -2; i <= 2; i++)
        {
            for (var j = -2; j <= 2; j++)
            {
                var point = new GeoPoint(48.85 + (i * size), 2.35 + (j * size));
                if (GeoMath.DistanceMeters(center, point) <= 6_000)
                {
                    Assert.Contains(GeoCell.FromPoint(point, size), covered);
                }
            }
        }
    }
}
