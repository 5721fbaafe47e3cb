using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Tests.Domain;

namespace Atlas.Grains.Tests.Geo;

/// <summary>
/// The shard's bucketed index answers exactly what <see cref="NearestSearch.Nearest"/> answers over all its entries:
/// same drivers, same order, same distances to the last bit — at city density, at bucket and cell borders, across the
/// antimeridian and around the poles.
/// </summary>
public sealed class ShardEntriesTests
{
    private const double BucketSize = 0.005; // what a shard of 0.05° cells uses
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void At_city_density_every_query_equals_a_brute_force_scan()
    {
        var random = new Random(1);
        var cell = new GeoCell(2777, 3651, 0.05); // ~Paris
        var entries = Fill(random, 800, () => new GeoPoint(
            random.Between(cell.MinLatitude, cell.MaxLatitude), random.Between(cell.MinLongitude, cell.MaxLongitude)));

        AssertQueriesExact(random, entries, 1_000, () => new GeoPoint(
            random.Between(cell.MinLatitude - 0.02, cell.MaxLatitude + 0.02), random.Between(cell.MinLongitude - 0.02, cell.MaxLongitude + 0.02)));
    }

    [Fact]
    public void Drivers_and_queries_on_bucket_and_cell_borders_are_exact()
    {
        var random = new Random(2);
        var cell = new GeoCell(2777, 3651, 0.05);
        // Every coordinate is on a grid line of buckets (and of cells): points sit exactly on borders and corners.
        GeoPoint OnBorders() => new(
            cell.MinLatitude + (random.Next(-2, 13) * BucketSize), cell.MinLongitude + (random.Next(-2, 13) * BucketSize));
        var entries = Fill(random, 600, OnBorders);

        AssertQueriesExact(random, entries, 500, OnBorders, maxRadius: 2_000);
    }

    [Fact]
    public void Searches_across_the_antimeridian_find_drivers_on_both_sides()
    {
        var random = new Random(3);
        GeoPoint NearAntimeridian() => new(random.Between(-0.05, 0.05), random.Next(2) == 0 ? random.Between(179.95, 180) : random.Between(-180, -179.95));
        var entries = Fill(random, 800, NearAntimeridian);
        entries.Add(new GeoCandidate("on-180", new GeoPoint(0, 180), Now));
        entries.Add(new GeoCandidate("on-minus-180", new GeoPoint(0, -180), Now));
        var index = Build(entries);

        var found = index.Nearest(new GeoPoint(0, 179.999), 1_000, 1_000, Now.AddMinutes(-1));
        Assert.Contains(found, n => n.Location.Longitude < 0);
        Assert.Contains(found, n => n.Location.Longitude > 0);

        AssertQueriesExact(random, entries, 500, () => new GeoPoint(random.Between(-0.05, 0.05), random.Next(3) switch
        {
            0 => 180,
            1 => -180,
            _ => random.Between(179.98, 180) * (random.Next(2) == 0 ? 1 : -1),
        }), maxRadius: 8_000);
    }

    [Theory]
    [InlineData(90)]
    [InlineData(-90)]
    public void Searches_near_a_pole_find_drivers_at_every_longitude(double pole)
    {
        var random = new Random(pole > 0 ? 4 : 5);
        var sign = Math.Sign(pole);
        GeoPoint NearPole() => new(sign * random.Between(89.9, 90), random.Between(-180, 180));
        var entries = Fill(random, 800, NearPole);
        entries.Add(new GeoCandidate("on-the-pole", new GeoPoint(pole, 0), Now));
        entries.Add(new GeoCandidate("on-the-pole-too", new GeoPoint(pole, 123.4), Now));

        var atPole = Build(entries).Nearest(new GeoPoint(pole, -45), 0.01, 5, Now.AddMinutes(-1));
        Assert.Equal(["on-the-pole", "on-the-pole-too"], atPole.Select(n => n.Id));

        AssertQueriesExact(random, entries, 500, () => new GeoPoint(sign * random.Between(89.85, 90), random.Between(-180, 180)), maxRadius: 15_000);
    }

    [Fact]
    public void Drivers_at_the_same_distance_come_in_id_order_and_the_radius_is_inclusive()
    {
        var center = new GeoPoint(10, 10);
        var east = GeoTestData.Destination(center, Math.PI / 2, 500);
        var index = Build([new("c", east, Now), new("a", east, Now), new("b", east, Now), new("far", GeoTestData.Destination(center, 0, 900), Now)]);
        var exactly = GeoMath.DistanceMeters(center, east);

        Assert.Equal(["a", "b"], index.Nearest(center, exactly, 2, Now).Select(n => n.Id));
        Assert.Equal(["a", "b", "c"], index.Nearest(center, exactly, 10, Now).Select(n => n.Id));
        Assert.Empty(index.Nearest(center, Math.BitDecrement(exactly), 10, Now));
    }

    [Fact]
    public void Moves_removals_and_late_positions_keep_the_index_equal_to_a_brute_force_scan()
    {
        var random = new Random(6);
        var cell = new GeoCell(2777, 3651, 0.05);
        GeoPoint InCell() => new(random.Between(cell.MinLatitude, cell.MaxLatitude), random.Between(cell.MinLongitude, cell.MaxLongitude));
        var index = new ShardEntries(BucketSize);
        var truth = new Dictionary<string, GeoCandidate>();
        for (var step = 0; step < 20_000; step++)
        {
            var id = $"d{random.Next(500)}";
            var seenAt = Now.AddSeconds(random.Next(-120, 1));
            if (random.Next(10) == 0)
            {
                Assert.Equal(truth.Remove(id), index.Remove(id));
                continue;
            }
            var candidate = new GeoCandidate(id, InCell(), seenAt);
            var newer = !truth.TryGetValue(id, out var known) || known.LastSeen <= seenAt;
            Assert.Equal(newer, index.Set(candidate));
            if (newer)
            {
                truth[id] = candidate;
            }
        }
        Assert.Equal(truth.Count, index.Count);

        AssertQueriesExact(random, index, truth.Values.ToList(), 300, InCell, maxRadius: 3_000);
    }

    [Fact]
    public void Entries_last_seen_before_the_cutoff_are_removed_and_reported()
    {
        var index = Build([
            new("old", new GeoPoint(1, 1), Now.AddMinutes(-3)),
            new("at-cutoff", new GeoPoint(1, 1.001), Now.AddMinutes(-2)),
            new("new", new GeoPoint(1, 1.002), Now),
        ]);

        var removed = index.RemoveOlderThan(Now.AddMinutes(-2));

        Assert.Equal(["old"], removed);
        Assert.Equal(["at-cutoff", "new"], index.Nearest(new GeoPoint(1, 1), 10_000, 10, DateTimeOffset.MinValue).Select(n => n.Id).Order());
    }

    private static List<GeoCandidate> Fill(Random random, int count, Func<GeoPoint> point) =>
        Enumerable.Range(0, count).Select(i => new GeoCandidate($"d{i:D4}", point(), Now.AddSeconds(-random.Next(0, 60)))).ToList();

    private static ShardEntries Build(IEnumerable<GeoCandidate> entries)
    {
        var index = new ShardEntries(BucketSize);
        foreach (var entry in entries)
        {
            index.Set(entry);
        }
        return index;
    }

    private static void AssertQueriesExact(Random random, List<GeoCandidate> entries, int queries, Func<GeoPoint> center, double maxRadius = 6_000) =>
        AssertQueriesExact(random, Build(entries), entries, queries, center, maxRadius);

    private static void AssertQueriesExact(Random random, ShardEntries index, List<GeoCandidate> entries, int queries, Func<GeoPoint> center, double maxRadius)
    {
        for (var q = 0; q < queries; q++)
        {
            var at = center();
            var k = random.Next(4) == 0 ? 1_000 : 1 + random.Next(20);
            var radius = random.Next(10) == 0 ? 0 : random.Between(0, maxRadius);
            var freshSince = Now.AddSeconds(-random.Next(0, 70));

            var expected = NearestSearch.Nearest(entries, at, k, radius, freshSince);
            var found = index.Nearest(at, radius, k, freshSince);

            Assert.True(expected.SequenceEqual(found),
                $"Query {q} at ({at.Latitude}, {at.Longitude}), r={radius}, k={k}: expected [{string.Join(", ", expected.Select(e => e.Id))}], found [{string.Join(", ", found.Select(f => f.Id))}].");
        }
    }
}
