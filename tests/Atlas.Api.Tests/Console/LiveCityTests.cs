using Atlas.Api.Console;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.LiveFeed;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Atlas.Api.Tests.Console;

/// <summary>
/// The console's picture of the city, fed batches as the live feed pushes them (no host): what a repeated or late
/// delivery does, how drivers follow their rides, how time passing empties the map, and the figures beside it.
/// </summary>
public sealed class LiveCityTests
{
    private static readonly GeoPoint Centre = new(52.37, 4.89);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly LiveCity _city;

    public LiveCityTests()
    {
        _city = new LiveCity(Options.Create(new ConsoleOptions { ClosedRideLinger = TimeSpan.FromSeconds(15), ForgetDriverAfter = TimeSpan.FromMinutes(10) }),
            Options.Create(new DriverOptions { FreshnessWindow = TimeSpan.FromSeconds(30) }), Options.Create(new GeoIndexOptions()),
            new MarketCatalog(new MarketOptions()), _time);
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    private static DriverLocationMessage Position(string driverId, GeoPoint at, DateTimeOffset when, DriverStatusSnapshot status = DriverStatusSnapshot.Available) =>
        new(driverId, at, when, status);

    private static RideEventMessage Event(string rideId, int sequence, string name, RideStatus status, DateTimeOffset at, DateTimeOffset createdAt,
        string? driverId = null, string? offeredTo = null, long? commission = null, string currency = "EUR") =>
        new(rideId, sequence, name, RideActor.System, null, at, status, "rider-1", driverId, "economy", "default", currency, 1_500, null, commission,
            null, createdAt, PaymentMethod.Wallet, SurgeMultiplier.None, Centre, new GeoPoint(52.38, 4.90), offeredTo);

    private void Apply(params RideEventMessage[] events) => _city.Apply(new LiveFeedBatch(events, []));

    private void Apply(params DriverLocationMessage[] positions) => _city.Apply(new LiveFeedBatch([], positions));

    [Fact]
    public void A_driver_appears_with_its_position_and_status()
    {
        Apply(Position("d1", Centre, Now, DriverStatusSnapshot.Available));

        var driver = Assert.Single(_city.Snapshot().Drivers);
        Assert.Equal(("d1", 52.37, 4.89, "available", false), (driver.DriverId, driver.Location!.Lat, driver.Location.Long, driver.Status, driver.Stale));
    }

    [Fact]
    public void An_older_position_delivered_late_does_not_move_the_driver_back()
    {
        var later = new GeoPoint(52.40, 4.95);
        Apply(Position("d1", later, Now));
        Apply(Position("d1", Centre, Now.AddSeconds(-5)));

        Assert.Equal(52.40, Assert.Single(_city.Snapshot().Drivers).Location!.Lat);
    }

    [Fact]
    public void An_offer_makes_the_driver_offered_a_match_puts_them_on_the_trip_and_the_end_frees_them()
    {
        var created = Now;
        Apply(Position("d1", Centre, Now));
        Apply(Event("r1", 1, "requested", RideStatus.Created, created, created), Event("r1", 2, "offered", RideStatus.Created, created, created, offeredTo: "d1"));
        Assert.Equal(("offered", "r1"), DriverState("d1"));
        var ride = Assert.Single(_city.Snapshot().Rides);
        Assert.Equal(("CREATED", "d1", 52.38), (ride.Status, ride.OfferedDriverId, ride.Dropoff!.Lat));

        Apply(Event("r1", 3, "matched", RideStatus.Matched, created.AddSeconds(4), created, driverId: "d1"));
        Assert.Equal(("on_trip", "r1"), DriverState("d1"));

        Apply(Event("r1", 4, "cancelled", RideStatus.Cancelled, created.AddSeconds(9), created, driverId: "d1"));
        Assert.Equal(("available", null), DriverState("d1"));
        Assert.Equal(new[] { "offered", "on_trip", "available" }, _city.SeenOf("d1").Select(s => s.Status));
    }

    [Fact]
    public void A_declined_offer_frees_the_first_driver_when_the_ride_is_offered_to_the_next()
    {
        Apply(Position("d1", Centre, Now), Position("d2", Centre, Now));
        Apply(Event("r1", 1, "offered", RideStatus.Created, Now, Now, offeredTo: "d1"));
        Apply(Event("r1", 2, "offered", RideStatus.Created, Now, Now, offeredTo: "d2"));

        Assert.Equal(("available", null), DriverState("d1"));
        Assert.Equal(("offered", "r1"), DriverState("d2"));
    }

    [Fact]
    public void A_repeated_delivery_is_counted_once()
    {
        var created = Now;
        var events = new[]
        {
            Event("r1", 1, "requested", RideStatus.Created, created, created),
            Event("r1", 2, "matched", RideStatus.Matched, created.AddSeconds(3), created, driverId: "d1"),
            Event("r1", 3, "cancelled", RideStatus.Cancelled, created.AddSeconds(5), created, driverId: "d1", commission: 200),
        };
        Apply(events);
        Apply(events);

        var metrics = _city.Snapshot().Metrics;
        Assert.Equal((1L, 1, 1, 1L), (metrics.RequestedTotal, metrics.Matched, metrics.Cancellations, metrics.CancellationsTotal));
        Assert.Equal(200, Assert.Single(metrics.RevenueTotal).Amount);
    }

    [Fact]
    public void Time_to_match_percentiles_are_the_nearest_ranks_of_the_waits_in_the_window()
    {
        // 20 rides matched after 1 s, 2 s, ... 20 s: nearest rank p50 is the 10th wait, p95 the 19th.
        for (var i = 1; i <= 20; i++)
        {
            var created = Now;
            Apply(Event($"r{i}", 1, "requested", RideStatus.Created, created, created),
                Event($"r{i}", 2, "matched", RideStatus.Matched, created.AddSeconds(i), created, driverId: $"d{i}"));
        }

        var metrics = _city.Snapshot().Metrics;
        Assert.Equal((10.0, 19.0, 20, 20), (metrics.TimeToMatchP50Seconds, metrics.TimeToMatchP95Seconds, metrics.Matched, metrics.RidesPerMinute));
    }

    [Fact]
    public void Figures_leave_the_window_and_rides_per_minute_counts_the_last_minute_only()
    {
        var created = Now;
        Apply(Event("r1", 1, "requested", RideStatus.Created, created, created),
            Event("r1", 2, "finished", RideStatus.Finished, created.AddSeconds(1), created, driverId: "d1", commission: 300));
        _time.Advance(TimeSpan.FromMinutes(2));
        _city.Sweep();
        var metrics = _city.Snapshot().Metrics;
        Assert.Equal((0, 1, 1, 300L), (metrics.RidesPerMinute, metrics.Requested, metrics.Finished, Assert.Single(metrics.Revenue).Amount));

        _time.Advance(TimeSpan.FromMinutes(15)); // past the 15-minute window
        _city.Sweep();
        metrics = _city.Snapshot().Metrics;
        Assert.Equal((0, 0, 1L), (metrics.Requested, metrics.Finished, metrics.FinishedTotal));
        Assert.Empty(metrics.Revenue);
        Assert.Equal(300, Assert.Single(metrics.RevenueTotal).Amount);
    }

    [Fact]
    public void A_closed_ride_leaves_the_map_after_its_linger_and_a_late_event_does_not_bring_it_back()
    {
        Apply(Event("r1", 1, "requested", RideStatus.Created, Now, Now), Event("r1", 2, "cancelled", RideStatus.Cancelled, Now, Now));
        _time.Advance(TimeSpan.FromSeconds(14));
        _city.Sweep();
        Assert.Single(_city.Snapshot().Rides);

        _time.Advance(TimeSpan.FromSeconds(2));
        _city.Sweep();
        Assert.Empty(_city.Snapshot().Rides);

        Apply(Event("r1", 2, "cancelled", RideStatus.Cancelled, Now, Now)); // delivered again
        Assert.Empty(_city.Snapshot().Rides);
        Assert.Equal(1L, _city.Snapshot().Metrics.CancellationsTotal);
    }

    [Fact]
    public void A_driver_not_heard_from_turns_stale_then_leaves_the_map()
    {
        Apply(Position("d1", Centre, Now));
        _time.Advance(TimeSpan.FromSeconds(31));
        _city.Sweep();
        Assert.True(Assert.Single(_city.Snapshot().Drivers).Stale);
        Assert.Equal(1, _city.Snapshot().Metrics.Drivers.Stale);

        _time.Advance(TimeSpan.FromMinutes(10));
        _city.Sweep();
        Assert.Empty(_city.Snapshot().Drivers);
    }

    [Fact]
    public void A_console_stream_gets_only_what_changed_since_its_last_update()
    {
        Apply(Position("d1", Centre, Now), Position("d2", Centre, Now));
        using var stream = _city.OpenStream()!;
        Assert.NotNull(stream.TakeDelta()); // the first update: figures
        Assert.Null(stream.TakeDelta());    // nothing since

        Apply(Position("d2", new GeoPoint(52.375, 4.895), Now.AddSeconds(1)));
        Apply(Position("d2", new GeoPoint(52.376, 4.896), Now.AddSeconds(2)));
        var delta = stream.TakeDelta()!;

        var moved = Assert.Single(delta.Drivers); // d2 once, at its newest position; d1 did not change
        Assert.Equal(("d2", 52.376), (moved.DriverId, moved.Location!.Lat));
        Assert.Empty(delta.Rides);
    }

    [Fact]
    public void A_ride_quoted_with_surge_marks_its_cell_until_the_citys_surge_window_passes()
    {
        var markets = new MarketOptions();
        markets.Cities["default"] = new CityOptions { Surge = new SurgeOptions { Enabled = true, Window = TimeSpan.FromMinutes(10) } };
        var city = new LiveCity(Options.Create(new ConsoleOptions()), Options.Create(new DriverOptions()), Options.Create(new GeoIndexOptions()),
            new MarketCatalog(markets), _time);
        var surged = Event("r1", 1, "requested", RideStatus.Created, Now, Now) with { SurgeBasisPoints = 15_000 };
        var plain = Event("r2", 1, "requested", RideStatus.Created, Now, Now) with { Pickup = new GeoPoint(10, 10) };

        city.Apply(new LiveFeedBatch([surged, plain], []));

        var cell = Assert.Single(city.Snapshot().SurgeCells); // the ride without surge marks nothing
        Assert.Equal(1.5m, cell.Multiplier);
        Assert.True(cell.South <= Centre.Latitude && Centre.Latitude < cell.North && cell.West <= Centre.Longitude && Centre.Longitude < cell.East);
        _time.Advance(TimeSpan.FromMinutes(10));
        city.Sweep();
        Assert.Empty(city.Snapshot().SurgeCells);
    }

    [Fact]
    public void Surge_is_not_drawn_for_a_city_that_does_not_surge()
    {
        Apply(Event("r1", 1, "requested", RideStatus.Created, Now, Now) with { SurgeBasisPoints = 15_000 });

        Assert.Empty(_city.Snapshot().SurgeCells);
    }

    [Fact]
    public void Consoles_beyond_the_limit_get_no_stream()
    {
        var city = new LiveCity(Options.Create(new ConsoleOptions { MaxStreams = 1 }), Options.Create(new DriverOptions()),
            Options.Create(new GeoIndexOptions()), new MarketCatalog(new MarketOptions()), _time);
        using var first = city.OpenStream();
        Assert.NotNull(first);
        Assert.Null(city.OpenStream());
    }

    private (string Status, string? RideId) DriverState(string driverId)
    {
        var driver = _city.Snapshot().Drivers.Single(d => d.DriverId == driverId);
        return (driver.Status, driver.RideId);
    }
}
