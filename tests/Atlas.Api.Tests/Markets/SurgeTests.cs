using System.Globalization;
using System.Text.Json.Nodes;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace Atlas.Api.Tests.Markets;

/// <summary>
/// A surging city on a clock the test moves: grains (and the API) read <see cref="Clock"/>; Orleans' own machinery
/// (messaging, membership, directory, activation collection) stays on real time, as Orleans' time areas allow.
/// <c>surgeville</c>: motorbike rides assigned at once, cash, surge over 10 min windows, at most ×1.5 in steps of 0.1,
/// from 2 open requests, +0.5 per request per driver beyond one. Ride events are kept in memory.
/// </summary>
public sealed class SurgeMarketsFactory : DefaultMarketsFactory
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The ride events as the history consumer receives them from the stream.</summary>
    public RecordingRideHistory Events { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Markets:Cities:surgeville:Dispatch", "assign"),
        new("Markets:Cities:surgeville:Payments:Default", "cash"),
        new("Markets:Cities:surgeville:Surge:Enabled", "true"),
        new("Markets:Cities:surgeville:Surge:Window", "00:10:00"),
        new("Markets:Cities:surgeville:Surge:MaxMultiplier", "1.5"),
        new("Markets:Cities:surgeville:Surge:Step", "0.1"),
        new("Markets:Cities:surgeville:Surge:Sensitivity", "0.5"),
        new("Markets:Cities:surgeville:Surge:MinRequests", "2"),
    ];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            foreach (var area in new[] { TimeProviderNames.Messaging, TimeProviderNames.SystemTimers, TimeProviderNames.Membership,
                         TimeProviderNames.ActivationManagement, TimeProviderNames.GrainDirectory })
            {
                services.AddKeyedSingleton(area, TimeProvider.System);
            }
            services.Replace(ServiceDescriptor.Singleton<IRideHistoryProjection>(Events));
        });
    }
}

/// <summary>Surge pricing: shown in the estimate, bounded, locked into the ride at request, recorded, and gone with the window.</summary>
public sealed class SurgeTests(SurgeMarketsFactory api) : IClassFixture<SurgeMarketsFactory>
{
    private const string City = "surgeville";

    private readonly GeoPoint _spot = Scenario.RandomSpot();

    private GeoPoint Dropoff => Scenario.Offset(_spot, 2000, 1000);

    private string Now() => api.Clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private async Task<ApiClient> DriverAsync(string vehicleClass)
    {
        var id = Scenario.NewId("driver");
        var driver = api.Driver(id);
        await driver.PutOkAsync("/driver/profile", new { name = id, vehicle_type = vehicleClass, city = City });
        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = _spot.Latitude, longitude = _spot.Longitude, timestamp = Now() });
        await driver.PostOkAsync("/driver/online");
        await Scenario.EventuallyAsync(async () =>
        {
            var found = await api.Admin().GetOkAsync(FormattableString.Invariant(
                $"/admin/drivers/near?lat={_spot.Latitude}&long={_spot.Longitude}&radius_m=1000&vehicle_type={vehicleClass}&city={City}"));
            return found["drivers"]!.AsArray().Any(d => d!.Str("driver_id") == id) ? found : null;
        }, $"driver {id} searchable");
        return driver;
    }

    private async Task<(string RiderId, ApiClient Rider, JsonNode Order)> OrderAsync()
    {
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync(0);
        var order = await rider.PostOkAsync("/customer/order", new
        {
            user_id = riderId, pickup_lat = _spot.Latitude, pickup_long = _spot.Longitude,
            dropoff_lat = Dropoff.Latitude, dropoff_long = Dropoff.Longitude, city = City,
        });
        return (riderId, rider, order);
    }

    private static Task<JsonNode> RequestAsync(ApiClient rider, string riderId, JsonNode order) =>
        rider.PostOkAsync("/customer/ride/request", new { passenger_id = riderId, order_id = order.Str("order_id") });

    /// <summary>Requests are recorded one-way: wait until the cell counts what the test sent.</summary>
    private async Task<JsonNode> SurgeAsync(int openRequests, int drivers) =>
        await Scenario.EventuallyAsync(async () =>
        {
            var surge = await api.Admin().GetOkAsync(FormattableString.Invariant($"/admin/surge?lat={_spot.Latitude}&long={_spot.Longitude}&city={City}"));
            return surge.Long("open_requests") == openRequests && surge.Long("available_drivers") == drivers ? surge : null;
        }, $"{openRequests} open requests and {drivers} drivers in the cell");

    private long BasePrice(string vehicleClass = "moto") =>
        FareCalculator.EstimateTrip(api.Services.GetRequiredService<MarketCatalog>().City(City).VehicleClass(vehicleClass).Fare, _spot, Dropoff).Fare.Minor;

    private static long Surged(long price, int basisPoints) => SurgeMultiplier.Apply(new Grains.Monetary.Money(price, Grains.Monetary.Currency.Eur), basisPoints).Minor;

    [Fact]
    public async Task Surge_follows_open_requests_per_driver_is_bounded_locked_at_request_recorded_and_ends_with_the_window()
    {
        // Quoted before any demand: x1.0, and that is what this rider's ride will keep.
        var (earlyId, early, earlyOrder) = await OrderAsync();
        Assert.Equal((1m, BasePrice()), (earlyOrder["surge_multiplier"]!.GetValue<decimal>(), earlyOrder.Long("price")));

        // Two premium drivers in the cell (supply), motorbike requests nobody can serve (demand).
        await DriverAsync("premium");
        await DriverAsync("premium");
        var expected = new[] { 1m, 1m, 1.2m, 1.5m, 1.5m }; // 1 request: below the minimum; 2 per 2 drivers: none; 3: 1.25 → 1.2; 4: 1.5; 5: 1.75 → max 1.5
        for (var i = 0; i < expected.Length; i++)
        {
            var (riderId, rider, order) = await OrderAsync();
            Assert.Equal("NO_DRIVER", (await RequestAsync(rider, riderId, order)).Str("status"));
            var surge = await SurgeAsync(i + 1, 2);
            Assert.Equal(expected[i], surge["multiplier"]!.GetValue<decimal>());
        }

        // The estimate shows the multiplier and prices with it.
        var (lateId, late, lateOrder) = await OrderAsync();
        Assert.Equal((1.5m, Surged(BasePrice(), 15_000)), (lateOrder["surge_multiplier"]!.GetValue<decimal>(), lateOrder.Long("price")));

        // A motorbike driver comes: the early rider's ride keeps the x1.0 it was shown, whatever the cell says now.
        var moto = await DriverAsync("moto");
        var earlyRide = await RequestAsync(early, earlyId, earlyOrder);
        Assert.Equal(("MATCHED", 1m, BasePrice()), (earlyRide.Str("status"), earlyRide["surge_multiplier"]!.GetValue<decimal>(), earlyRide.Long("price")));
        await moto.PutOkAsync("/driver/order/status", new { order_id = earlyOrder.Str("order_id"), status = "STARTED" });
        var earlyFinished = await moto.PutOkAsync("/driver/order/status", new { order_id = earlyOrder.Str("order_id"), status = "FINISHED" });
        var straight = (await api.Admin().GetOkAsync($"/admin/rides/{earlyOrder.Str("order_id")}"))["order"]!.Long("distance_meters");
        var policy = api.Services.GetRequiredService<MarketCatalog>().City(City).VehicleClass("moto").Fare;
        Assert.Equal(FareCalculator.Estimate(policy, straight, TimeSpan.Zero).Minor, earlyFinished.Long("final_price"));

        // The late rider's ride locks x1.5 at request; the trip takes 4 minutes on the test's clock.
        var lateRide = await RequestAsync(late, lateId, lateOrder);
        Assert.Equal(("MATCHED", 1.5m), (lateRide.Str("status"), lateRide["surge_multiplier"]!.GetValue<decimal>()));
        var lateOrderId = lateOrder.Str("order_id");
        await moto.PutOkAsync("/driver/order/status", new { order_id = lateOrderId, status = "STARTED" });
        api.Clock.Advance(TimeSpan.FromMinutes(4));
        var lateFinished = await moto.PutOkAsync("/driver/order/status", new { order_id = lateOrderId, status = "FINISHED" });
        var fare = Surged(FareCalculator.Estimate(policy, straight, TimeSpan.FromMinutes(4)).Minor, 15_000);
        Assert.Equal(fare, lateFinished.Long("final_price"));
        Assert.Equal(Math.Min(fare, lateRide.Long("max_price")), lateFinished.Long("charged"));

        // Recorded on the ride (its timeline) and in every event it published.
        var timeline = (await api.Admin().GetOkAsync($"/admin/rides/{lateOrderId}"))["timeline"]!.AsArray();
        Assert.Contains("surge x1.5 locked", timeline.Single(e => e!.Str("name") == "requested")!.Str("detail"));
        // The streams' pulling agents poll on the silo's TimeProvider, which this test drives: nudge it while waiting.
        var events = await Scenario.EventuallyAsync(() =>
            {
                api.Clock.Advance(TimeSpan.FromMilliseconds(100));
                return Task.FromResult(api.Events.Events.Where(e => e.RideId == lateOrderId).ToArray() is { } late &&
                                       late.Any(e => e.Status == Atlas.Grains.Rides.RideStatus.Finished) ? late : null);
            },
            "the late ride's events on its stream");
        Assert.All(events, e => Assert.Equal(15_000, e.SurgeBasisPoints));
        Assert.All(api.Events.Events.Where(e => e.RideId == earlyOrder.Str("order_id")), e => Assert.Equal(SurgeMultiplier.None, e.SurgeBasisPoints));

        // Ten minutes on, the requests and the drivers' positions have left the window: no surge.
        api.Clock.Advance(TimeSpan.FromMinutes(11));
        var (_, _, after) = await OrderAsync();
        Assert.Equal((1m, BasePrice()), (after["surge_multiplier"]!.GetValue<decimal>(), after.Long("price")));
    }
}

/// <summary>Keeps the ride events the stream delivers to the ride history, in arrival order.</summary>
public sealed class RecordingRideHistory : IRideHistoryProjection
{
    private readonly List<RideEventMessage> _events = [];

    public IReadOnlyList<RideEventMessage> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    public Task ProjectRideEventsAsync(IReadOnlyList<RideEventMessage> events, CancellationToken cancellationToken = default)
    {
        lock (_events)
        {
            _events.AddRange(events);
        }
        return Task.CompletedTask;
    }

    public Task ProjectDriverPositionsAsync(IReadOnlyList<DriverLocationMessage> positions, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
