using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
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
            await fixture.GrainFactory.GetGrain<IGeoIndexGrain>(GeoIndexShards.Key(VehicleType.Xl, driver.Location, options.CellSizeDegrees))
                .Upsert(driver.Id, driver.Location, driver.LastSeen);
        }
        var search = new DriverSearch(fixture.GrainFactory, options);
        var freshSince = now.AddSeconds(-30);

        for (var q = 0; q < 100; q++)
        {
            var center = Offset(origin, random.NextDouble() * 30_000, random.NextDouble() * 30_000);
            var k = 1 + random.Next(10);

            var found = await search.FindNearestAsync(center, VehicleType.Xl, k, freshSince);

            var expected = NearestSearch.Nearest(drivers, center, k, 5_000, freshSince);
            Assert.Equal(expected.Select(e => e.Id), found.Select(f => f.Id));
        }
    }

    [Fact]
    public async Task A_shard_rebuilds_from_its_store_after_it_deactivates()
    {
        var shard = GeoIndexShards.Key(VehicleType.Premium, new GeoPoint(10, 10), GeoCell.DefaultSizeDegrees);
        var grain = fixture.GrainFactory.GetGrain<IGeoIndexGrain>(shard);
        await grain.Upsert("a", new GeoPoint(10.001, 10.001), DateTimeOffset.UtcNow);
        await grain.Upsert("b", new GeoPoint(10.002, 10.002), DateTimeOffset.UtcNow);
        await grain.Remove("a");
        Assert.Equal(1, await grain.Count());

        var silo = fixture.Cluster.Silos.First(s => s.Silo.HasActivation(new Actors.GrainId("geoindex", shard)));
        await silo.Silo.DeactivateAsync(new Actors.GrainId("geoindex", shard));

        Assert.Equal(1, await grain.Count());
        Assert.Equal(["b"], (await fixture.Index.LoadAsync(shard)).Select(c => c.Id));
    }
}
