using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Grains.Tests.Cluster;
using Atlas.Grains.Tests.Domain;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Geo;

[Collection(RidesCollection.Name)]
public sealed class GeoIndexTests(RidesFixture fixture)
{
    [Fact]
    public async Task The_sharded_index_finds_exactly_the_nearest_fresh_drivers_of_a_brute_force_scan()
    {
        var random = new Random(20261122);
        var origin = new GeoPoint(52.37, 4.89); // a city no other test uses
        var options = new GeoIndexOptions();
        var now = DateTimeOffset.UtcNow;
        var drivers = Enumerable.Range(0, 10_000).Select(i => new GeoCandidate(
            $"idx-{i}",
            Offset(origin, random.NextDouble() * 30_000, random.NextDouble() * 30_000),
            now.AddSeconds(-random.Next(0, 60)))).ToArray();
        foreach (var driver in drivers)
        {
            await fixture.GrainFactory.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key("xl", driver.Location, options.CellSizeDegrees))
                .Upsert(driver.Id, driver.Location, driver.LastSeen);
        }
        await WaitUntilIndexedAsync(drivers, "xl", options);
        var search = new DriverSearch(fixture.GrainFactory, options);
        var freshSince = now.AddSeconds(-30);

        for (var q = 0; q < 100; q++)
        {
            var center = Offset(origin, random.NextDouble() * 30_000, random.NextDouble() * 30_000);
            var k = 1 + random.Next(10);

            var found = await search.FindNearestAsync(center, "xl", k, freshSince);

            var expected = NearestSearch.Nearest(drivers, center, k, 5_000, freshSince);
            Assert.Equal(expected.Select(e => e.Id), found.Select(f => f.Id));
        }
    }

    [Fact]
    public async Task The_sharded_index_is_exact_for_drivers_and_searches_on_cell_borders()
    {
        var random = new Random(7);
        var options = new GeoIndexOptions();
        var corner = GeoCell.FromPoint(new GeoPoint(-33.9, 18.4), options.CellSizeDegrees);
        // Coordinates on the lines of cells and of the shards' buckets: on borders, on corners, and between.
        GeoPoint OnBorders() => new(
            corner.MinLatitude + (random.Next(-20, 21) * options.CellSizeDegrees / 10),
            corner.MinLongitude + (random.Next(-20, 21) * options.CellSizeDegrees / 10));

        await AssertShardedSearchExactAsync(random, options, Drivers(random, "border", 1_500, OnBorders), 80, OnBorders);
    }

    [Fact]
    public async Task The_sharded_index_is_exact_across_the_antimeridian()
    {
        var random = new Random(8);
        var options = new GeoIndexOptions();
        GeoPoint NearAntimeridian() => new(random.Between(-0.1, 0.1), random.Next(2) == 0 ? random.Between(179.9, 180) : random.Between(-180, -179.9));

        await AssertShardedSearchExactAsync(random, options, Drivers(random, "antimeridian", 1_500, NearAntimeridian), 80, () =>
            random.Next(4) == 0 ? new GeoPoint(random.Between(-0.1, 0.1), 180) : NearAntimeridian());
    }

    [Theory]
    [InlineData(90)]
    [InlineData(-90)]
    public async Task The_sharded_index_is_exact_around_a_pole(double pole)
    {
        var random = new Random(pole > 0 ? 9 : 10);
        // Cells of 1°, so a search around the pole, which covers every column, asks 360 shards rather than 7,200.
        var options = new GeoIndexOptions { CellSizeDegrees = 1 };
        GeoPoint NearPole() => new(Math.Sign(pole) * random.Between(89.92, 90), random.Between(-180, 180));

        await AssertShardedSearchExactAsync(random, options, Drivers(random, $"pole{pole}", 400, NearPole), 30, NearPole);
    }

    private static GeoCandidate[] Drivers(Random random, string prefix, int count, Func<GeoPoint> at)
    {
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count).Select(i => new GeoCandidate($"{prefix}-{i}", at(), now.AddSeconds(-random.Next(0, 60)))).ToArray();
    }

    /// <summary>Indexes the drivers, then checks random searches against a brute-force scan of all of them.</summary>
    private async Task AssertShardedSearchExactAsync(Random random, GeoIndexOptions options, GeoCandidate[] drivers, int queries, Func<GeoPoint> center)
    {
        foreach (var driver in drivers)
        {
            await fixture.GrainFactory.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key("premium", driver.Location, options.CellSizeDegrees))
                .Upsert(driver.Id, driver.Location, driver.LastSeen);
        }
        await WaitUntilIndexedAsync(drivers, "premium", options);
        var search = new DriverSearch(fixture.GrainFactory, options);
        var freshSince = DateTimeOffset.UtcNow.AddSeconds(-30);
        for (var q = 0; q < queries; q++)
        {
            var at = center();
            var k = 1 + random.Next(12);

            var found = await search.FindNearestAsync(at, "premium", k, freshSince);

            var expected = NearestSearch.Nearest(drivers, at, k, RadiusSteps.Default.MaxMeters, freshSince);
            Assert.True(expected.SequenceEqual(found),
                $"Search {q} at ({at.Latitude}, {at.Longitude}), k={k}: expected [{string.Join(", ", expected.Select(e => e.Id))}], found [{string.Join(", ", found.Select(f => f.Id))}].");
        }
    }

    /// <summary>
    /// Waits until every shard holds its drivers. Upserts are one-way calls, which Orleans does not keep in order with
    /// the searches that follow them (nor with each other).
    /// </summary>
    private async Task WaitUntilIndexedAsync(GeoCandidate[] drivers, string type, GeoIndexOptions options)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var shard in drivers.GroupBy(d => GeoIndexShards.Key(type, d.Location, options.CellSizeDegrees)))
        {
            var grain = fixture.GrainFactory.GetGrain<IGeoIndexGrain>(shard.Key);
            while (await grain.Count() < shard.Count())
            {
                Assert.True(DateTime.UtcNow < deadline, $"shard {shard.Key} did not receive its {shard.Count()} drivers in time");
                await Task.Delay(10);
            }
        }
    }

    private static async Task WaitForCountAsync(IGeoIndexGrain grain, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await grain.Count() != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the shard did not reach {count} entries in time");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_shard_rebuilds_from_its_store_after_it_deactivates()
    {
        var shard = GeoIndexShards.Key("premium", new GeoPoint(10, 10), GeoCell.DefaultSizeDegrees);
        var grain = fixture.GrainFactory.GetGrain<IGeoIndexGrain>(shard);
        await grain.Upsert("a", new GeoPoint(10.001, 10.001), DateTimeOffset.UtcNow);
        await grain.Upsert("b", new GeoPoint(10.002, 10.002), DateTimeOffset.UtcNow);
        await WaitForCountAsync(grain, 2); // one-way calls: the remove must not overtake the upsert
        await grain.Remove("a");
        await WaitForCountAsync(grain, 1);

        Assert.NotNull(fixture.Cluster.SiloOf(grain));
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Null(fixture.Cluster.SiloOf(grain));

        Assert.Equal(1, await grain.Count());
        Assert.Equal(["b"], (await fixture.Index.LoadAsync(shard)).Select(c => c.Id));
    }
}
