using Atlas.Testing.Servers;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Rides.History;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.History.Sqlite;
using Atlas.Infrastructure.Sqlite;
using Atlas.Infrastructure.Tests.Infrastructure;
using Atlas.Infrastructure.Tests.Streams;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>PostgreSQL's read model (silos).</summary>
public sealed class PostgresRideHistoryReaderTests(PostgresDataSourceFixture database)
    : RideHistoryReaderContract(new RideHistoryWriter(database.DataSource), new PostgresRideHistoryReader(database.DataSource)), IClassFixture<PostgresDataSourceFixture>;

/// <summary>The embedded platform's read model, in a SQLite file of its own.</summary>
public sealed class SqliteRideHistoryReaderTests : RideHistoryReaderContract, IDisposable
{
    private readonly TempFolder _folder;
    private readonly SqliteDatabase _database;

    public SqliteRideHistoryReaderTests() : this(new TempFolder())
    {
    }

    private SqliteRideHistoryReaderTests(TempFolder folder) : this(folder, new SqliteDatabase(folder.File()))
    {
    }

    private SqliteRideHistoryReaderTests(TempFolder folder, SqliteDatabase database)
        : base(new SqliteRideHistoryWriter(database), new SqliteRideHistoryReader(database))
    {
        _folder = folder;
        _database = database;
    }

    public void Dispose()
    {
        _database.Dispose();
        _folder.Dispose();
    }
}

/// <summary>
/// The read model over rides written by the projection's writer, the same for every store. Every test uses rides of
/// its own, requested in a period no other test uses (a random day in the 22nd century), so that figures over that
/// period are exactly its own.
/// </summary>
public abstract class RideHistoryReaderContract(IHistoryBatchWriter writer, IRideHistoryReader reader) : IAsyncLifetime
{
    private readonly IHistoryBatchWriter _writer = writer;
    private readonly IRideHistoryReader _reader = reader;
    private readonly DateTimeOffset _day = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(Random.Shared.Next(0, 36_500)).AddMinutes(Random.Shared.Next(0, 1_000));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _writer.DisposeAsync();

    private static Money Eur(long minor) => new(minor, Currency.Eur);

    /// <summary>Writes the ride's events up to <paramref name="status"/> as a ride would publish them.</summary>
    private async Task<string> RideAsync(RideStatus status, string riderId, string? driverId, int minutesIntoDay, string currency = "EUR",
        long charged = 0, long commission = 0)
    {
        var rideId = RideEvents.NewRideId("reader");
        var createdAt = _day.AddMinutes(minutesIntoDay);
        var closed = status is RideStatus.Finished or RideStatus.Cancelled;
        var events = new List<RideEventMessage>
        {
            new(rideId, 1, "created", RideActor.Rider, null, createdAt, RideStatus.Created, riderId, null, "economy", "paris", currency, 900, null, null, null, createdAt),
        };
        if (status != RideStatus.Created)
        {
            events.Add(new(rideId, 2, status.ToWireName().ToLowerInvariant(), RideActor.System, "moved", createdAt.AddMinutes(1), status, riderId,
                status == RideStatus.NoDriver ? null : driverId, "economy", "paris", currency, 900, closed && charged > 0 ? charged : null,
                closed && commission > 0 ? commission : null, status == RideStatus.Finished ? 3_000 : null, createdAt));
        }
        await _writer.WriteRideEventsAsync(CancellationToken.None, events);
        return rideId;
    }

    [Fact]
    public async Task Platform_figures_count_rides_by_outcome_and_sum_fares_and_commissions_per_currency_over_the_period()
    {
        var rider = RideEvents.NewRideId("rider");
        var driver = RideEvents.NewRideId("driver");
        await RideAsync(RideStatus.Created, rider, driver, 1);
        await RideAsync(RideStatus.Matched, rider, driver, 2);
        await RideAsync(RideStatus.Started, rider, driver, 3);
        await RideAsync(RideStatus.Finished, rider, driver, 4, charged: 1_500, commission: 300);
        await RideAsync(RideStatus.Finished, rider, driver, 5, charged: 2_500, commission: 500);
        await RideAsync(RideStatus.Finished, rider, driver, 6, "USD", charged: 1_000, commission: 200);
        await RideAsync(RideStatus.Cancelled, rider, driver, 7, charged: 400, commission: 80); // a cancellation fee
        await RideAsync(RideStatus.Cancelled, rider, driver, 8);
        await RideAsync(RideStatus.NoDriver, rider, driver, 9);
        await RideAsync(RideStatus.Finished, rider, driver, 60 * 24 + 1, charged: 9_999, commission: 999); // the next day

        var figures = await _reader.GetPlatformFiguresAsync(_day, _day.AddDays(1));

        Assert.Equal((3L, 3L, 2L, 1L), (figures.ActiveRides, figures.CompletedRides, figures.CancelledRides, figures.NoDriverRides));
        Assert.Equal([Eur(4_400), new Money(1_000, Currency.Usd)], figures.Fares);
        Assert.Equal([Eur(880), new Money(200, Currency.Usd)], figures.Revenue);
    }

    [Fact]
    public async Task Platform_figures_without_a_period_cover_every_ride()
    {
        var rider = RideEvents.NewRideId("rider");
        var before = await _reader.GetPlatformFiguresAsync();
        await RideAsync(RideStatus.Finished, rider, "d", 1, charged: 1_000, commission: 100);
        await RideAsync(RideStatus.Created, rider, "d", 2);

        var after = await _reader.GetPlatformFiguresAsync();

        // Other tests write rides meanwhile: finished rides and fares only ever grow, so ours must show.
        Assert.True(after.CompletedRides >= before.CompletedRides + 1);
        Assert.True(after.Fares.Single(m => m.Currency == Currency.Eur).Minor >= before.Fares.SingleOrDefault(m => m.Currency == Currency.Eur).Minor + 1_000);
    }

    [Fact]
    public async Task A_riders_rides_come_newest_first_in_pages_that_neither_skip_nor_repeat()
    {
        var rider = RideEvents.NewRideId("rider");
        var rides = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            rides.Add(await RideAsync(RideStatus.Finished, rider, $"driver-{i}", i, charged: 100 + i, commission: 10));
        }
        await RideAsync(RideStatus.Finished, RideEvents.NewRideId("someone-else"), "driver-x", 3, charged: 1, commission: 1);

        var pages = new List<RideHistoryPage>();
        string? next = null;
        do
        {
            var page = await _reader.GetRiderRidesAsync(rider, limit: 3, after: next);
            pages.Add(page);
            next = page.Next;
        }
        while (next is not null);

        Assert.Equal([3, 3, 1], pages.Select(p => p.Rides.Count));
        Assert.Equal(Enumerable.Reverse(rides), pages.SelectMany(p => p.Rides).Select(r => r.RideId));
        var newest = pages[0].Rides[0];
        Assert.Equal((rider, "driver-6", RideStatus.Finished, Eur(106), Eur(10), 3_000L, 2), (newest.RiderId, newest.DriverId, newest.Status, newest.Charged, newest.Commission, newest.DistanceMeters, newest.LastSequence));
    }

    [Fact]
    public async Task A_drivers_rides_come_newest_first()
    {
        var driver = RideEvents.NewRideId("driver");
        var first = await RideAsync(RideStatus.Finished, "r1", driver, 1, charged: 100, commission: 10);
        var second = await RideAsync(RideStatus.Started, "r2", driver, 2);
        await RideAsync(RideStatus.NoDriver, "r3", driver, 3); // never had this driver

        var page = await _reader.GetDriverRidesAsync(driver);

        Assert.Equal([second, first], page.Rides.Select(r => r.RideId));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task A_rides_events_come_in_sequence_order_with_the_status_after_each()
    {
        var rideId = RideEvents.NewRideId("reader");
        var events = RideEvents.Of(rideId, createdAt: _day);
        await _writer.WriteRideEventsAsync(CancellationToken.None, events.Skip(5).ToArray());
        await _writer.WriteRideEventsAsync(CancellationToken.None, events.Take(5).ToArray());

        var stored = await _reader.GetRideEventsAsync(rideId);

        Assert.Equal(events.Select(e => (e.Sequence, e.Name, e.Actor, e.Detail, e.At, e.Status)),
            stored.Select(e => (e.Sequence, e.Name, e.Actor, e.Detail, e.At, e.Status)));
        Assert.Empty(await _reader.GetRideEventsAsync("no-such-ride"));
    }

    [Fact]
    public async Task A_ride_only_moves_forward_and_repeated_events_are_stored_once()
    {
        var rideId = RideEvents.NewRideId("reader");
        var events = RideEvents.Of(rideId, createdAt: _day);
        await _writer.WriteRideEventsAsync(CancellationToken.None, events);

        await _writer.WriteRideEventsAsync(CancellationToken.None, events.Take(6).ToArray()); // a late, repeated delivery of older events

        var ride = await _reader.GetRideAsync(rideId);
        Assert.Equal((RideStatus.Finished, 10, events[^1].At, Eur(1_250)), (ride!.Status, ride.LastSequence, ride.UpdatedAt, ride.Charged));
        Assert.Equal(10, (await _reader.GetRideEventsAsync(rideId)).Count);
    }

    [Fact]
    public async Task Duplicates_within_one_batch_are_stored_once()
    {
        var rideId = RideEvents.NewRideId("reader");
        var events = RideEvents.Of(rideId, 4, createdAt: _day);

        await _writer.WriteRideEventsAsync(CancellationToken.None, [.. events, .. events, events[1]]);

        Assert.Equal(Enumerable.Range(1, 4), (await _reader.GetRideEventsAsync(rideId)).Select(e => e.Sequence));
        Assert.Equal(4, (await _reader.GetRideAsync(rideId))!.LastSequence);
    }

    [Fact]
    public async Task A_page_token_that_the_reader_did_not_issue_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _reader.GetRiderRidesAsync("r", after: "not-a-token"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _reader.GetRiderRidesAsync("r", limit: 0));
        Assert.Null(await _reader.GetRideAsync("no-such-ride"));
    }
}

internal static class HistoryBatchWriterExtensions
{
    /// <summary>The writer's batch call, token first so that a collection expression can follow.</summary>
    public static Task WriteRideEventsAsync(this IHistoryBatchWriter writer, CancellationToken cancellationToken, IReadOnlyList<RideEventMessage> events) =>
        writer.WriteRideEventsAsync(events, cancellationToken);
}
