using Atlas.Testing.Servers;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Infrastructure.Tests.Streams;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>One ride cluster (and its projectors) for the tests of <see cref="RideHistoryClusterTests"/>.</summary>
public sealed class RideHistoryClusterFixture : IAsyncLifetime
{
    private RideCluster? _rides;

    internal RideCluster Rides => _rides ?? throw new InvalidOperationException("The cluster is not started.");

    public async Task InitializeAsync()
    {
        _rides = await RideCluster.StartAsync(TestRedis.NewPrefix("history-cluster"));
        // A read applies the ride history's migrations, so that tests may query its tables directly from the start.
        await _rides.Reader.GetRideAsync("no-such-ride");
    }

    public async Task DisposeAsync()
    {
        if (_rides is not null)
        {
            await _rides.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RideHistoryClusterCollection : ICollectionFixture<RideHistoryClusterFixture>
{
    public const string Name = "ride-history-cluster";
}

/// <summary>Rides on a cluster publish to Redis Streams; the silos' projectors bring them into PostgreSQL; the reader answers from there.</summary>
[Collection(RideHistoryClusterCollection.Name)]
public sealed class RideHistoryClusterTests(PostgresDataSourceFixture database, RideHistoryClusterFixture cluster) : IClassFixture<PostgresDataSourceFixture>
{
    private readonly HistoryQueries _history = new(database.DataSource);
    private readonly RideCluster _rides = cluster.Rides;

    private Task ProjectedAsync(string rideId, int events) =>
        Eventually.HoldsAsync(async () => (await _rides.Reader.GetRideAsync(rideId))?.LastSequence == events, $"ride {rideId} projected up to event {events}",
            describe: async () => $"projected up to {(await _rides.Reader.GetRideAsync(rideId))?.LastSequence}");

    [Fact]
    public async Task A_finished_ride_reaches_ride_history_and_ride_events_with_its_fare_commission_and_every_event_in_order()
    {
        var (ride, driverId) = await _rides.FinishedRideAsync();

        await ProjectedAsync(ride.RideId, ride.Timeline.Length);

        var summary = (await _rides.Reader.GetRideAsync(ride.RideId))!;
        Assert.Equal((ride.RiderId, driverId, RideStatus.Finished, "economy", ride.City), (summary.RiderId, summary.DriverId, summary.Status, summary.VehicleClass, summary.City));
        Assert.Equal((ride.FareEstimate, ride.Charged, ride.DistanceMeters), (summary.Estimate, summary.Charged, summary.DistanceMeters));
        Assert.True(summary.Commission is { IsPositive: true } commission && commission < ride.Charged!.Value, $"commission {summary.Commission} of {ride.Charged}");
        Assert.Equal(ride.CreatedAt, summary.CreatedAt, TimeSpan.FromMilliseconds(1));
        Assert.Equal(ride.Timeline[^1].At, summary.UpdatedAt, TimeSpan.FromMilliseconds(1));
        var events = await _rides.Reader.GetRideEventsAsync(ride.RideId);
        Assert.Equal(ride.Timeline.Select(e => (e.Name, e.Actor, e.Detail)), events.Select(e => (e.Name, e.Actor, e.Detail)));
        Assert.Equal(Enumerable.Range(1, ride.Timeline.Length), events.Select(e => e.Sequence));
        Assert.Equal(["created", "requested", "offered", "matched", "arrived", "started", "finished", "paid:capture", "paid:credit", "paid:credit"], events.Select(e => e.Name));
        Assert.Equal(ride.RideId, Assert.Single((await _rides.Reader.GetRiderRidesAsync(ride.RiderId)).Rides).RideId);
        Assert.Equal(ride.RideId, Assert.Single((await _rides.Reader.GetDriverRidesAsync(driverId)).Rides).RideId);
    }

    [Fact]
    public async Task A_cancelled_ride_and_a_ride_that_found_no_driver_reach_ride_history_with_their_outcome()
    {
        var riderId = await _rides.RiderWithFundsAsync();
        var cancelled = await _rides.CreateRideAsync(riderId, RideCluster.SomewhereNew());
        cancelled = await _rides.Ride(cancelled.RideId).Cancel(RideActor.Rider, riderId, "changed my mind");
        var lonely = await _rides.CreateRideAsync(riderId, RideCluster.SomewhereNew());
        await _rides.Ride(lonely.RideId).RequestDriver();
        lonely = await _rides.WaitForRideAsync(lonely.RideId, r => r.Status == RideStatus.NoDriver && r.PaymentSettled, "no driver, hold released");

        await ProjectedAsync(cancelled.RideId, cancelled.Timeline.Length);
        await ProjectedAsync(lonely.RideId, lonely.Timeline.Length);

        var rides = (await _rides.Reader.GetRiderRidesAsync(riderId)).Rides;
        Assert.Equal([(lonely.RideId, RideStatus.NoDriver), (cancelled.RideId, RideStatus.Cancelled)], rides.Select(r => (r.RideId, r.Status)));
        Assert.All(rides, r => Assert.Null(r.DriverId));
        Assert.Equal("changed my mind", (await _rides.Reader.GetRideEventsAsync(cancelled.RideId))[^1].Detail);
    }

    [Fact]
    public async Task A_burst_of_positions_reaches_driver_locations_sampled_once_a_second_ending_with_the_newest()
    {
        var at = RideCluster.SomewhereNew();
        var driverId = await _rides.OnlineDriverAsync(at);
        var started = DateTimeOffset.UtcNow;
        var last = at;
        for (var i = 1; i <= 20; i++)
        {
            last = RideCluster.Offset(at, 10 * i);
            await _rides.Driver(driverId).UpdateLocation(last, DateTimeOffset.UtcNow);
        }
        var elapsed = DateTimeOffset.UtcNow - started;

        await Eventually.HoldsAsync(async () => await _history.NewestLocationAsync(driverId) == (last.Latitude, last.Longitude),
            "the driver's newest position projected", describe: async () => $"{await _history.NewestLocationAsync(driverId)}");
        // DriverOptions.PositionHistoryInterval (1 s): the position going online, then at most one per started second.
        Assert.InRange(await _history.LocationCountAsync([driverId]), 2, 2 + (long)Math.Ceiling(elapsed.TotalSeconds));
    }
}
