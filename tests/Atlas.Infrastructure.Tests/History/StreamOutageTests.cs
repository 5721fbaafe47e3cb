using Atlas.Testing.Servers;
using System.Diagnostics;
using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Infrastructure.Streams;
using Atlas.Infrastructure.Tests.Streams;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Atlas.Infrastructure.Tests.History;

/// <summary>Stopping a server would break tests running beside these, so they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StreamOutageCollection
{
    public const string Name = "streams-outage";
}

/// <summary>
/// The streams and the projector through Redis and PostgreSQL stops and restarts: clear errors and logs meanwhile,
/// and the projection catches up afterwards. Redis runs without persistence here, so a restart loses its streams and
/// groups: what was projected before stays projected, and what rides publish after (or retry) gets through.
/// </summary>
[Collection(StreamOutageCollection.Name)]
public sealed class StreamOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(15);

    private readonly string _prefix = TestRedis.NewPrefix("outage");
    private readonly Npgsql.NpgsqlDataSource _dataSource = TestPostgresServer.CreateDataSource();
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly List<CapturingLoggerProvider> _logs = [];
    private HistoryQueries _history = null!;
    private RideStreamOptions _options = null!;
    private RedisStreamConnection _connection = null!;

    public Task InitializeAsync()
    {
        _history = new HistoryQueries(_dataSource);
        _options = TestRedis.Options(_prefix);
        _connection = TestRedis.Connection(_options);
        _disposables.Add(_connection);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // What an operator would have read.
        foreach (var line in _logs.SelectMany(l => l.Lines).Where(l => l.Level >= LogLevel.Information))
        {
            output.WriteLine(line.ToString());
        }
        // A test that failed half-way must not leave the servers down for the next.
        await TestRedisServer.StartAsync();
        await StartPostgresAsync();
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
        await _dataSource.DisposeAsync();
    }

    private async Task<ProjectorHost> StartProjectorAsync(string name)
    {
        var host = await ProjectorHost.StartAsync(_prefix, name);
        _disposables.Add(host);
        _logs.Add(host.Logs);
        return host;
    }

    private async Task<Dictionary<string, int>> PublishAsync(int rides, int events = 5)
    {
        var sink = new RedisRideEventSink(_connection, _options);
        var published = new Dictionary<string, int>();
        for (var i = 0; i < rides; i++)
        {
            var rideId = RideEvents.NewRideId("outage");
            await sink.PublishAsync(RideEvents.Of(rideId, events));
            published[rideId] = events;
        }
        return published;
    }

    private Task CaughtUpAsync(IReadOnlyDictionary<string, int> published) =>
        Eventually.HoldsAsync(() => _history.CaughtUpAsync(published), "the projection to catch up", TimeSpan.FromSeconds(60),
            () => _history.DescribeAsync(published));

    [Fact]
    public async Task While_Redis_is_down_publishing_fails_quickly_with_StreamUnavailableException_and_works_again_after()
    {
        var sink = new RedisRideEventSink(_connection, _options);
        var rideId = RideEvents.NewRideId("outage");
        await sink.PublishAsync(RideEvents.Of(rideId, 1));

        await TestRedisServer.StopAsync();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<StreamUnavailableException>(() => sink.PublishAsync(RideEvents.Of(rideId, 3).Skip(1).ToArray()));
            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, FailureBound);
            Assert.Contains($"ride {rideId}", error.Message);
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await sink.PublishAsync(RideEvents.Of(rideId, 3).Skip(1).ToArray());
                return true;
            }
            catch (StreamUnavailableException)
            {
                return false; // still reconnecting
            }
        }, "publishing to work again");
        Assert.Equal([2, 3], (await TestRedis.RangeAsync(_options.RideStreamOf(rideId))).Select(e => RideStreamEntries.ParseRideEvent(e).Sequence));
    }

    [Fact]
    public async Task Rides_that_move_while_Redis_is_down_reach_the_history_after_it_returns_and_the_projector_says_so()
    {
        await using var rides = await RideCluster.StartAsync(_prefix);
        _logs.Add(rides.Logs);
        var riderId = await rides.RiderWithFundsAsync();
        var before = await rides.CreateRideAsync(riderId, RideCluster.SomewhereNew());
        var during = await rides.CreateRideAsync(riderId, RideCluster.SomewhereNew());
        await Eventually.HoldsAsync(async () => await _history.CaughtUpAsync(new Dictionary<string, int> { [before.RideId] = 1, [during.RideId] = 1 }),
            "both rides projected");

        await TestRedisServer.StopAsync();
        try
        {
            // The ride accepts the cancellation: its events wait in its state, and its outbox timer (reminder, if its silo dies) retries them.
            during = await rides.Ride(during.RideId).Cancel(RideActor.Rider, riderId, "Redis is down");
            Assert.Equal(RideStatus.Cancelled, during.Status);
            await Eventually.HoldsAsync(() => rides.Logs.Contains(LogLevel.Warning, "Redis is unavailable"), "the silos' projectors to log the outage",
                describe: () => string.Join(Environment.NewLine, rides.Logs.Lines.TakeLast(5)));
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        // Redis came back empty: the group is created again and the retried events get through.
        await Eventually.HoldsAsync(async () => await _history.CaughtUpAsync(new Dictionary<string, int> { [during.RideId] = during.Timeline.Length }),
            "the cancellation projected", TimeSpan.FromSeconds(60));
        Assert.Equal(RideStatus.Cancelled, (await rides.Reader.GetRideAsync(during.RideId))!.Status);
        Assert.Equal(RideStatus.Created, (await rides.Reader.GetRideAsync(before.RideId))!.Status);
        Assert.True(rides.Logs.Contains(LogLevel.Information, "Redis is back"));
        Assert.True(rides.Logs.Contains(LogLevel.Warning, "creating it again"));
    }

    [Fact]
    public async Task The_projector_waits_out_a_PostgreSQL_stop_without_acknowledging_anything_and_catches_up_after()
    {
        var projector = await StartProjectorAsync("pg-outage");
        var first = await PublishAsync(rides: 3);
        await CaughtUpAsync(first);

        await TestPostgresServer.StopAsync();
        Dictionary<string, int> published;
        try
        {
            published = await PublishAsync(rides: 20);
            await Eventually.HoldsAsync(() => projector.Logs.Contains(LogLevel.Warning, "the handler's store is unavailable"), "the projector to log the outage");
            Assert.Contains(projector.Logs.Lines, l => l.Message.Contains("PostgreSQL ride history is unavailable", StringComparison.Ordinal));
            Assert.True(await PendingAsync() > 0, "the batch in hand must stay unacknowledged while PostgreSQL is down");
        }
        finally
        {
            await StartPostgresAsync();
        }

        await CaughtUpAsync(published);
        Assert.True(projector.Logs.Contains(LogLevel.Information, "the handler's store is back"));
        Assert.Equal(0, projector.Projector.RideEvents.DeadLettered);
        await Eventually.HoldsAsync(async () => await PendingAsync() == 0, "nothing left pending");
    }

    [Fact]
    public async Task After_a_PostgreSQL_restart_between_batches_the_projector_writes_on_a_new_connection_without_an_outage()
    {
        var projector = await StartProjectorAsync("pg-restart");
        var first = await PublishAsync(rides: 3);
        await CaughtUpAsync(first);

        // The writer's connection is one the restart closes.
        await TestPostgresServer.RestartAsync();
        _dataSource.Clear(); // the test's own pool: the projector's is left to cope
        var published = await PublishAsync(rides: 10);

        await CaughtUpAsync(published);
        Assert.Equal(0, projector.Projector.RideEvents.DeadLettered);
        Assert.DoesNotContain(projector.Logs.Lines, l => l.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task When_Redis_drops_its_connections_but_keeps_its_data_a_consumer_reconnects_and_finishes_what_it_had_in_hand()
    {
        // A Redis restart with persistence, as the consumer sees it: connections break, the group and its pending entries stay.
        var redis = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { TestRedis.ConnectionString },
            AbortOnConnectFail = false,
            ReconnectRetryPolicy = new LinearRetry(250),
        });
        _disposables.Add(new Closing(redis));
        await using var connection = new RedisStreamConnection(redis, _options);
        var streams = new[] { $"{_prefix}kept:0", $"{_prefix}kept:1" };
        for (var i = 0; i < 20; i++)
        {
            await TestRedis.AddRawAsync(streams[i % 2], "body", $"e-{i}");
        }
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler
        {
            Before = async (_, _) =>
            {
                if (holding.TrySetResult())
                {
                    await release.Task; // the first batch is in hand when the connections drop
                }
            },
        };
        await using var consumer = new RedisStreamConsumer<string>(connection, streams, new RedisStreamConsumerOptions
        {
            Group = "g",
            Consumer = "keeps-going",
            PollInterval = TimeSpan.FromMilliseconds(20),
            MinBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(500),
            ClaimIdleTime = TimeSpan.FromMinutes(10), // only the consumer's own recovery can finish them
        }, handler);
        await consumer.StartAsync();
        await holding.Task.WaitAsync(TimeSpan.FromSeconds(30));

        try
        {
            // Raw: the typed IServer.ClientKillAsync needs a connection in admin mode, which the tests' shared one is not.
            await (await TestRedis.DatabaseAsync()).ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        }
        finally
        {
            release.SetResult(); // else the consumer's handler would wait forever, and so would its disposal
        }

        await Eventually.HoldsAsync(() => handler.Handled.Count == 20, "all 20 entries handled", describe: () => $"{handler.Handled.Count}");
        await Eventually.HoldsAsync(async () => await TestRedis.PendingAsync(streams[0], "g") + await TestRedis.PendingAsync(streams[1], "g") == 0,
            "nothing left pending");
        Assert.Equal(0, consumer.DeadLettered);
    }

    [Fact]
    public async Task Positions_appended_while_Redis_is_down_are_dropped_and_counted_and_appending_resumes_after()
    {
        await using var sink = new RedisLocationHistorySink(_connection, _options);
        var position = (int i) => new DriverLocationMessage("d", new GeoPoint(1, 1), DateTimeOffset.UnixEpoch.AddSeconds(i), DriverStatusSnapshot.Available);
        sink.Append(position(0));
        await Eventually.HoldsAsync(() => sink.Written == 1, "the first position written");

        await TestRedisServer.StopAsync();
        try
        {
            sink.Append(position(1));
            await Eventually.HoldsAsync(() => sink.Dropped == 1, "the position to be dropped");
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        await Eventually.HoldsAsync(() =>
        {
            sink.Append(position(2));
            return sink.Written > 1;
        }, "positions to be written again");
    }

    /// <summary>Closes a multiplexer without waiting for commands in flight.</summary>
    private sealed class Closing(ConnectionMultiplexer redis) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            redis.Close(allowCommandsToComplete: false);
            return ValueTask.CompletedTask;
        }
    }

    private async Task StartPostgresAsync()
    {
        await TestPostgresServer.StartAsync();
        _dataSource.Clear(); // the test's own pool: the projector's is left to cope
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
}
