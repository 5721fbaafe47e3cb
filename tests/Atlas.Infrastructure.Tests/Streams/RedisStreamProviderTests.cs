using Atlas.Grains.Rides.Events;
using Atlas.Grains.Streams;
using Atlas.Hosting.Streams.Redis;
using Atlas.Infrastructure.Tests.History;
using Atlas.Testing.Servers;
using Npgsql;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>One two-silo cluster on the Redis stream provider, shared by <see cref="RedisStreamProviderTests"/>.</summary>
public sealed class RedisStreamClusterFixture : IAsyncLifetime
{
    private StreamCluster? _cluster;

    internal StreamCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not started.");

    public async Task InitializeAsync() => _cluster = await StreamCluster.StartAsync(redis: true);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisStreamClusterCollection : ICollectionFixture<RedisStreamClusterFixture>
{
    public const string Name = "redis-streams";
}

/// <summary>
/// Atlas' Redis Streams provider under Orleans' pulling agents: ride events published on the ride streams reach the
/// projection in PostgreSQL once in effect and in order per ride, through a silo kill; what cannot be read or stored is
/// set aside with its reason and holds nothing back.
/// </summary>
[Collection(RedisStreamClusterCollection.Name)]
public sealed class RedisStreamProviderTests(PostgresDataSourceFixture database, RedisStreamClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<PostgresDataSourceFixture>, IDisposable
{
    /// <summary>What an operator would have read.</summary>
    public void Dispose()
    {
        foreach (var line in _cluster.Logs.Lines.TakeLast(50))
        {
            output.WriteLine(line.ToString());
        }
    }

    private readonly HistoryQueries _history = new(database.DataSource);
    private readonly StreamCluster _cluster = fixture.Cluster;

    private Task CaughtUpAsync(IReadOnlyDictionary<string, int> expected, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(() => _history.CaughtUpAsync(expected), "every event projected", timeout ?? TimeSpan.FromSeconds(60),
            () => _history.DescribeAsync(expected));

    [Fact]
    public async Task Every_event_of_every_ride_arrives_once_in_effect_and_in_order_across_a_silo_kill_in_the_middle()
    {
        const int rides = 40, events = 10;
        var all = Enumerable.Range(0, rides).Select(_ => RideEvents.Of(RideEvents.NewRideId("kill"), events)).ToArray();
        var expected = all.ToDictionary(r => r[0].RideId, _ => events);
        try
        {
            // Rides move a step at a time, as rides do; half-way a silo dies with events read and not acknowledged.
            for (var step = 0; step < events; step++)
            {
                await Task.WhenAll(all.Select(r => _cluster.PublishAsync([r[step]])));
                if (step == events / 2)
                {
                    await _cluster.Cluster.KillAsync(_cluster.Cluster.Silos[1]);
                }
            }
            await CaughtUpAsync(expected);
            foreach (var ride in expected.Keys)
            {
                Assert.Equal(Enumerable.Range(1, events), _cluster.Arrivals.FirstArrivals(ride));
            }
            var stored = await _history.EventKeysAsync(expected.Keys.ToArray());
            Assert.Equal(rides * events, stored.Count);
        }
        finally
        {
            await _cluster.Cluster.RestoreSilosAsync();
        }
    }

    [Fact]
    public async Task An_unreadable_entry_is_dead_lettered_with_its_reason_and_counted_and_the_queue_moves_on()
    {
        using var deadLetters = new CounterListener(StreamMetrics.MeterName, "atlas.streams.dead_lettered", "source");
        var db = await TestRedis.DatabaseAsync();
        var queue = $"{_cluster.Prefix}0";
        var poison = await db.StreamAddAsync(queue, [new(RedisQueueEntries.StreamField, "forged"), new(RedisQueueEntries.DataField, "not Orleans' format")]);
        var rides = Enumerable.Range(0, 12).Select(_ => RideEvents.Of(RideEvents.NewRideId("after-poison"), 3)).ToArray();
        foreach (var ride in rides)
        {
            await _cluster.PublishAsync(ride);
        }

        await CaughtUpAsync(rides.ToDictionary(r => r[0].RideId, r => r.Count));
        StreamEntry dead = default;
        await Eventually.HoldsAsync(async () =>
        {
            var entries = await db.StreamRangeAsync(RedisQueueEntries.DeadLetterKeyOf(queue));
            dead = entries.FirstOrDefault(e => e[RedisQueueEntries.EntryIdField] == poison);
            return !dead.IsNull;
        }, "the forged entry in the dead letters");
        Assert.Contains("cannot be read", dead[RedisQueueEntries.ReasonField].ToString(), StringComparison.Ordinal);
        Assert.Equal("not Orleans' format", dead[RedisQueueEntries.DataField].ToString());
        Assert.True(deadLetters["queue"] >= 1, "the dead letter is counted");
        await Eventually.HoldsAsync(async () => (await db.StreamPendingAsync(queue, "atlas")).PendingMessageCount == 0 ||
                                                (await db.StreamPendingMessagesAsync(queue, "atlas", 1000, RedisValue.Null)).All(p => p.MessageId != poison),
            "the forged entry acknowledged");
    }

    [Fact]
    public async Task An_event_the_store_refuses_is_dead_lettered_with_its_reason_and_the_events_beside_it_are_projected()
    {
        using var deadLetters = new CounterListener(StreamMetrics.MeterName, "atlas.streams.dead_lettered", "source");
        // A lower-case currency breaks ride_history's check: PostgreSQL refuses the event itself, every time.
        var poison = RideEvents.Of(RideEvents.NewRideId("refused"), 1, currency: "eur");
        var fine = Enumerable.Range(0, 6).Select(_ => RideEvents.Of(RideEvents.NewRideId("beside-refused"), 4)).ToArray();
        await Task.WhenAll(fine.Select(r => _cluster.PublishAsync(r)).Append(_cluster.PublishAsync(poison)));

        await CaughtUpAsync(fine.ToDictionary(r => r[0].RideId, r => r.Count));
        string? reason = null;
        await Eventually.HoldsAsync(async () =>
        {
            await using var command = database.DataSource.CreateCommand("select reason from history_dead_letters where kind = 'ride_event' and key = $1 and sequence = 1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = poison[0].RideId });
            reason = (string?)await command.ExecuteScalarAsync();
            return reason is not null;
        }, "the refused event in history_dead_letters");
        Assert.Contains("check", reason, StringComparison.OrdinalIgnoreCase);
        Assert.True(deadLetters["projection"] >= 1, "the dead letter is counted");
        Assert.Empty(await _history.EventKeysAsync([poison[0].RideId]));
    }

    [Fact]
    public async Task Events_published_again_after_a_crash_are_stored_once()
    {
        var ride = RideEvents.Of(RideEvents.NewRideId("again"), 6);
        await _cluster.PublishAsync(ride.Take(4).ToArray());
        // The ride crashed before storing its published count: it publishes 3..6 again.
        await _cluster.PublishAsync(ride.Skip(2).ToArray());
        await CaughtUpAsync(new Dictionary<string, int> { [ride[0].RideId] = 6 });
        Assert.Equal(Enumerable.Range(1, 6), _cluster.Arrivals.FirstArrivals(ride[0].RideId));
        Assert.Equal(6, (await _history.EventKeysAsync([ride[0].RideId])).Count);
    }
}
