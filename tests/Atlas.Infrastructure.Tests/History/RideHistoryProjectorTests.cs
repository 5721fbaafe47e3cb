using Atlas.Testing.Servers;
using Atlas.Grains.Geo;
using Atlas.Grains.Rides.Events;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Streams;
using Atlas.Infrastructure.Tests.Streams;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>The projector on the real servers: what is published is projected exactly once, whatever dies on the way.</summary>
public sealed class RideHistoryProjectorTests(PostgresDataSourceFixture database) : IClassFixture<PostgresDataSourceFixture>, IAsyncLifetime
{
    private readonly string _prefix = TestRedis.NewPrefix("projector");
    private readonly HistoryQueries _history = new(database.DataSource);
    private readonly List<IAsyncDisposable> _disposables = [];
    private RideStreamOptions _options = null!;
    private RedisStreamConnection _connection = null!;

    public Task InitializeAsync()
    {
        _options = TestRedis.Options(_prefix);
        _connection = TestRedis.Connection(_options);
        _disposables.Add(_connection);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    private async Task<ProjectorHost> StartProjectorAsync(string name, Action<RideHistoryProjectorOptions>? configure = null)
    {
        var host = await ProjectorHost.StartAsync(_prefix, name, configure);
        _disposables.Add(host);
        return host;
    }

    /// <summary>Publishes <paramref name="rides"/> rides of <paramref name="events"/> events each; returns ride id → last sequence.</summary>
    private async Task<Dictionary<string, int>> PublishAsync(int rides, int events = 10)
    {
        var sink = new RedisRideEventSink(_connection, _options);
        var published = new Dictionary<string, int>();
        for (var i = 0; i < rides; i++)
        {
            var rideId = RideEvents.NewRideId("projected");
            var all = RideEvents.Of(rideId, events);
            // As a ride publishes: a few events per call.
            foreach (var chunk in all.Chunk(3))
            {
                await sink.PublishAsync(chunk);
            }
            published[rideId] = events;
        }
        return published;
    }

    private Task CaughtUpAsync(IReadOnlyDictionary<string, int> published, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(() => _history.CaughtUpAsync(published), "the projection to catch up", timeout, () => _history.DescribeAsync(published));

    private async Task AssertExactlyOnceAsync(IReadOnlyDictionary<string, int> published)
    {
        var keys = await _history.EventKeysAsync(published.Keys.ToArray());
        var expected = published.SelectMany(r => Enumerable.Range(1, r.Value).Select(s => (r.Key, s))).Order().ToArray();
        Assert.Equal(expected, keys.Order().ToArray());
        Assert.Equal(published.OrderBy(p => p.Key), (await _history.LastSequencesAsync(published.Keys.ToArray())).OrderBy(p => p.Key));
    }

    /// <summary>
    /// A projector that "dies" in the middle of its first batch: it runs <paramref name="beforeDying"/> with the real
    /// writer, then hangs until it is killed, so the batch is never acknowledged.
    /// </summary>
    private async Task<(RedisStreamConsumer<RideEventMessage> Consumer, TaskCompletionSource Dying)> DyingProjectorAsync(
        Func<RideHistoryWriter, IReadOnlyList<RideEventMessage>, Task> beforeDying)
    {
        var writer = new RideHistoryWriter(database.DataSource);
        _disposables.Add(writer);
        var dying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DyingHandler(new RideEventProjection(writer), async (batch, token) =>
        {
            await beforeDying(writer, batch.Select(m => m.Value).ToArray());
            dying.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        var consumer = new RedisStreamConsumer<RideEventMessage>(_connection, _options.RideStreams(),
            new RedisStreamConsumerOptions { Group = "projector", Consumer = "dies-mid-batch", BatchSize = 25, PollInterval = TimeSpan.FromMilliseconds(20) },
            handler);
        _disposables.Add(consumer);
        await consumer.StartAsync();
        return (consumer, dying);
    }

    [Fact]
    public async Task A_projector_killed_after_writing_part_of_a_batch_loses_and_duplicates_nothing_once_another_takes_over()
    {
        var published = await PublishAsync(rides: 30);
        var (dead, dying) = await DyingProjectorAsync((writer, batch) => writer.WriteRideEventsAsync(batch.Take(batch.Count / 2).ToArray()));
        await dying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await dead.DisposeAsync(); // killed: the batch it held is neither finished nor acknowledged

        var survivor = await StartProjectorAsync("takes-over", o => o.Consumer.ClaimIdleTime = TimeSpan.FromMilliseconds(500));

        await CaughtUpAsync(published);
        await AssertExactlyOnceAsync(published);
        Assert.True(survivor.Projector.RideEvents.Reclaimed > 0, "the survivor should have taken over the dead projector's batch");
        await Eventually.HoldsAsync(async () => await PendingAsync() == 0, "nothing left pending");
    }

    [Fact]
    public async Task A_projector_killed_after_its_commit_and_before_its_acknowledgement_duplicates_nothing()
    {
        var published = await PublishAsync(rides: 20);
        var (dead, dying) = await DyingProjectorAsync((writer, batch) => writer.WriteRideEventsAsync(batch));
        await dying.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await dead.DisposeAsync();

        await StartProjectorAsync("takes-over", o => o.Consumer.ClaimIdleTime = TimeSpan.FromMilliseconds(500));

        await CaughtUpAsync(published);
        await AssertExactlyOnceAsync(published);
    }

    [Fact]
    public async Task Events_a_ride_publishes_again_after_a_crash_are_projected_once()
    {
        var projector = await StartProjectorAsync("once");
        var published = await PublishAsync(rides: 5, events: 6);
        await CaughtUpAsync(published);

        var sink = new RedisRideEventSink(_connection, _options);
        foreach (var rideId in published.Keys)
        {
            await sink.PublishAsync(RideEvents.Of(rideId, 6).Skip(2).ToArray());
        }

        await Eventually.HoldsAsync(() => projector.Projector.RideEvents.Processed == 5 * 6 + 5 * 4, "the repeated events handled");
        await AssertExactlyOnceAsync(published);
    }

    [Fact]
    public async Task Malformed_entries_go_to_the_dead_letter_stream_with_their_reason_and_the_projection_moves_on()
    {
        var projector = await StartProjectorAsync("poison");
        var stream = _options.RideStream(0);
        var noType = await TestRedis.AddRawAsync(stream, "garbage", "\u00ff\u0000 not an event");
        var notJson = await TestRedis.AddRawAsync(stream, "type", "ride-event", "v", "1", "data", "{ this is not json");
        var futureVersion = await TestRedis.AddRawAsync(stream, "type", "ride-event", "v", "2", "data", "{}");
        var published = await PublishAsync(rides: 8);

        await CaughtUpAsync(published);
        await AssertExactlyOnceAsync(published);
        var dead = (await TestRedis.RangeAsync(RideStreamOptions.DeadLetterStreamOf(stream))).ToDictionary(e => e["source_id"]!);
        Assert.Equal([noType, notJson, futureVersion], dead.Keys);
        Assert.Equal("malformed entry: the entry has no 'type' field", dead[noType]["reason"]);
        Assert.Equal("\u00ff\u0000 not an event", dead[noType]["f:garbage"]);
        Assert.StartsWith("malformed entry: the payload is not a valid 'ride-event' v1:", dead[notJson]["reason"]);
        Assert.Equal("{ this is not json", dead[notJson]["f:data"]);
        Assert.Contains("schema version '2'", dead[futureVersion]["reason"]);
        Assert.All(dead.Values, d => Assert.Equal(("projector", "poison", stream), (d["group"], d["consumer"], d["source_stream"])));
        Assert.Equal(3, projector.Projector.RideEvents.DeadLettered);
        Assert.Equal(0, await TestRedis.PendingAsync(stream, "projector"));
    }

    [Fact]
    public async Task Driver_positions_reach_driver_locations_once_each()
    {
        var projector = await StartProjectorAsync("positions");
        await using var sink = new RedisLocationHistorySink(_connection, _options);
        var drivers = Enumerable.Range(0, 10).Select(i => $"driver-{i}-{Guid.NewGuid():N}").ToArray();
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

        for (var round = 0; round < 2; round++) // every position twice, as a retried update would send it
        {
            for (var i = 0; i < 50; i++)
            {
                foreach (var driver in drivers)
                {
                    sink.Append(new DriverLocationMessage(driver, new GeoPoint(48.8 + i * 1e-4, 2.3), start.AddSeconds(i), DriverStatusSnapshot.OnTrip));
                }
            }
        }

        await Eventually.HoldsAsync(() => projector.Projector.Locations!.Processed == 1_000, "1000 positions handled",
            describe: () => $"{projector.Projector.Locations!.Processed}");
        Assert.Equal(500, await _history.LocationCountAsync(drivers));
    }

    private async Task<long> PendingAsync()
    {
        long pending = 0;
        foreach (var stream in _options.RideStreams())
        {
            pending += await TestRedis.PendingAsync(stream, "projector");
        }
        return pending;
    }

    /// <summary>The projection, preceded by something that may never return (a process dying mid-batch).</summary>
    private sealed class DyingHandler(RideEventProjection projection, Func<IReadOnlyList<StreamMessage<RideEventMessage>>, CancellationToken, Task> before)
        : IStreamBatchHandler<RideEventMessage>
    {
        public RideEventMessage Parse(StreamEntry entry) => projection.Parse(entry);

        public async Task HandleAsync(IReadOnlyList<StreamMessage<RideEventMessage>> batch, CancellationToken cancellationToken)
        {
            await before(batch, cancellationToken);
            await projection.HandleAsync(batch, cancellationToken);
        }

        public bool IsTransient(Exception exception) => projection.IsTransient(exception);
    }
}
