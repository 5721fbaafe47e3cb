using Atlas.Grains.Geo;

namespace Atlas.Grains.Tests.Domain;

public class NearestSearchTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly GeoPoint Center = new(48.8566, 2.3522);

    private static GeoCandidate At(string id, double northMeters, double eastMeters, DateTimeOffset? lastSeen = null)
    {
        var latitude = Center.Latitude + (northMeters / GeoMath.MetersPerDegree);
        var longitude = Center.Longitude
            + (eastMeters / (GeoMath.MetersPerDegree * Math.Cos(Center.Latitude * Math.PI / 180)));
        return new GeoCandidate(id, new GeoPoint(latitude, longitude), lastSeen ?? Now);
    }

    private static string[] Ids(IEnumerable<GeoNeighbor> neighbors) => neighbors.Select(n => n.Id).ToArray();

    [Fact]
    public void Nearest_returns_the_k_closest_ordered_by_distance()
    {
        GeoCandidate[] candidates = [At("far", 900, 0), At("near", 100, 0), At("mid", 0, -500), At("outside", 3_000, 0)];

        var found = NearestSearch.Nearest(candidates, Center, 2, 1_000, Now.AddMinutes(-1));

        Assert.Equal(["near", "mid"], Ids(found));
        Assert.Equal(100, found[0].DistanceMeters, 0);
    }

    [Fact]
    public void Equally_distant_candidates_are_ordered_by_id()
    {
        GeoCandidate[] candidates = [At("b", 200, 0), At("c", 200, 0), At("a", 200, 0)];

        var found = NearestSearch.Nearest(candidates, Center, 3, 1_000, Now);

        Assert.Equal(["a", "b", "c"], Ids(found));
    }

    [Fact]
    public void Candidates_outside_the_radius_are_left_out_even_when_fewer_than_k()
    {
        GeoCandidate[] candidates = [At("in", 999, 0), At("out", 1_001, 0)];

        var found = NearestSearch.Nearest(candidates, Center, 5, 1_000, Now);

        Assert.Equal(["in"], Ids(found));
    }

    [Fact]
    public void Candidates_not_seen_since_the_cutoff_are_stale_and_left_out()
    {
        var cutoff = Now.AddSeconds(-30);
        GeoCandidate[] candidates =
        [
            At("stale", 10, 0, cutoff.AddTicks(-1)),
            At("exactly-at-cutoff", 20, 0, cutoff),
            At("fresh", 30, 0, Now),
        ];

        var found = NearestSearch.Nearest(candidates, Center, 5, 1_000, cutoff);

        Assert.Equal(["exactly-at-cutoff", "fresh"], Ids(found));
    }

    [Fact]
    public void A_driver_listed_twice_counts_once_at_its_latest_position()
    {
        GeoCandidate[] candidates =
        [
            At("driver-1", 10, 0, Now.AddSeconds(-20)), // left behind in its old cell
            At("driver-1", 4_000, 0, Now), // has since driven away
            At("driver-2", 500, 0, Now),
        ];

        var found = NearestSearch.Nearest(candidates, Center, 5, 1_000, Now.AddMinutes(-1));

        Assert.Equal(["driver-2"], Ids(found));
    }

    [Fact]
    public void Invalid_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NearestSearch.Nearest([], Center, 0, 1_000, Now));
        Assert.Throws<ArgumentOutOfRangeException>(() => NearestSearch.Nearest([], Center, 1, -1, Now));
        Assert.Throws<ArgumentException>(() => NearestSearch.Nearest([new GeoCandidate("", Center, Now)], Center, 1, 1, Now));
    }

    [Fact]
    public void Radius_steps_default_to_1_then_2_5_then_5_km()
    {
        Assert.Equal([1_000.0, 2_500.0, 5_000.0], RadiusSteps.Default.Meters);
        Assert.Equal(5_000, RadiusSteps.Default.MaxMeters);
    }

    [Theory]
    [InlineData(new double[0])]
    [InlineData(new double[] { 0 })]
    [InlineData(new double[] { 1_000, 1_000 })]
    [InlineData(new double[] { 2_000, 1_000 })]
    [InlineData(new double[] { double.NaN })]
    public void Radius_steps_must_be_positive_and_strictly_increasing(double[] steps)
    {
        Assert.Throws<ArgumentException>(() => new RadiusSteps(steps));
    }

    [Fact]
    public void Widening_stops_at_the_first_radius_that_yields_k()
    {
        GeoCandidate[] candidates = [At("a", 800, 0), At("b", 2_000, 0), At("c", 4_000, 0)];
        var asked = new List<double>();

        IEnumerable<GeoCandidate> Fetch(double radius)
        {
            asked.Add(radius);
            return candidates;
        }

        var found = NearestSearch.Widening(Fetch, Center, 2, Now.AddMinutes(-1));

        Assert.Equal(["a", "b"], Ids(found));
        Assert.Equal([1_000.0, 2_500.0], asked);
    }

    [Fact]
    public void Widening_returns_what_the_widest_radius_holds_when_k_is_never_reached()
    {
        GeoCandidate[] candidates = [At("a", 800, 0), At("b", 6_000, 0)];
        var asked = new List<double>();

        var found = NearestSearch.Widening(
            radius =>
            {
                asked.Add(radius);
                return candidates;
            },
            Center,
            3,
            Now.AddMinutes(-1));

        Assert.Equal(["a"], Ids(found));
        Assert.Equal(RadiusSteps.Default.Meters, asked);
    }

    [Fact]
    public async Task Async_widening_behaves_like_the_synchronous_one()
    {
        GeoCandidate[] candidates = [At("a", 800, 0), At("b", 2_000, 0), At("c", 4_000, 0)];

        var found = await NearestSearch.WideningAsync(
            (_, _) => ValueTask.FromResult<IEnumerable<GeoCandidate>>(candidates),
            Center,
            3,
            Now.AddMinutes(-1),
            new RadiusSteps([500, 5_000]),
            CancellationToken.None);

        Assert.Equal(["a", "b", "c"], Ids(found));
    }

    [Fact]
    public void Widening_over_the_cell_index_equals_brute_force_k_nearest()
    {
        const int driverCount = 10_000;
        const int queryCount = 200;
        const double squareMeters = 50_000;
        const double cellSize = GeoCell.DefaultSizeDegrees;
        var random = new Random(7_331);
        var origin = new GeoPoint(48.65, 2.0); // south-west corner of the square

        GeoPoint RandomPointInSquare() => new(
            origin.Latitude + (random.NextDouble() * squareMeters / GeoMath.MetersPerDegree),
            origin.Longitude + (random.NextDouble() * squareMeters
                / (GeoMath.MetersPerDegree * Math.Cos(origin.Latitude * Math.PI / 180))));

        var drivers = new GeoCandidate[driverCount];
        for (var i = 0; i < driverCount; i++)
        {
            // Last seen within the past 2 minutes; the cutoff below makes about half of them stale.
            drivers[i] = new GeoCandidate($"driver-{i:D5}", RandomPointInSquare(), Now.AddSeconds(-random.Next(0, 120)));
        }

        var index = drivers
            .GroupBy(d => GeoCell.FromPoint(d.Location, cellSize).Key)
            .ToDictionary(g => g.Key, g => g.ToArray());

        var freshSince = Now.AddSeconds(-60);
        var stoppedAt = new Dictionary<double, int>();
        for (var q = 0; q < queryCount; q++)
        {
            var center = RandomPointInSquare();
            var k = q % 10 == 0 ? 500 : random.Next(1, 26); // some ask for more than 5 km can hold
            var lastRadius = 0.0;

            var widened = NearestSearch.Widening(
                radius =>
                {
                    lastRadius = radius;
                    return GeoCell.Covering(center, radius, cellSize)
                        .SelectMany(cell => index.TryGetValue(cell.Key, out var inCell) ? inCell : []);
                },
                center,
                k,
                freshSince);

            var bruteForce = drivers
                .Where(d => d.LastSeen >= freshSince)
                .Select(d => (d.Id, Distance: GeoMath.DistanceMeters(center, d.Location)))
                .Where(d => d.Distance <= RadiusSteps.Default.MaxMeters)
                .OrderBy(d => d.Distance)
                .ThenBy(d => d.Id, StringComparer.Ordinal)
                .Take(k)
                .ToArray();

            Assert.Equal(bruteForce.Select(d => d.Id), Ids(widened));
            Assert.Equal(bruteForce.Select(d => d.Distance), widened.Select(n => n.DistanceMeters));
            stoppedAt[lastRadius] = stoppedAt.GetValueOrDefault(lastRadius) + 1;
        }

        // The comparison only means something if every step was both sufficient and insufficient at times.
        Assert.All(RadiusSteps.Default.Meters, radius => Assert.True(stoppedAt.GetValueOrDefault(radius) > 0, $"No query stopped at {radius} m."));
    }
}
