using Atlas.Hosting.Streams.Redis;
using Atlas.Infrastructure.Tests.History;
using Atlas.Testing.Servers;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>Stopping a server would break tests running beside these, so they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StreamOutageCollection
{
    public const string Name = "streams-outage";
}

/// <summary>
/// The Redis stream provider and the projection through Redis and PostgreSQL outages: publishing fails at once while
/// Redis is down (the rides' outboxes retry), delivery waits while PostgreSQL is down, and nothing is lost either way.
/// </summary>
[Collection(StreamOutageCollection.Name)]
public sealed class StreamOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Npgsql.NpgsqlDataSource _dataSource = TestPostgresServer.CreateDataSource();
    private HistoryQueries _history = null!;
    private StreamCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _history = new HistoryQueries(_dataSource);
        _cluster = await StreamCluster.StartAsync(redis: true);
    }

    public async Task DisposeAsync()
    {
        foreach (var line in _cluster.Logs.Lines.TakeLast(40))
        {
            output.WriteLine(line.ToString());
        }
        // A test that failed half-way must not leave the servers down for the next.
        await TestRedisServer.StartAsync();
        await TestPostgresServer.StartAsync();
        await _cluster.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private Task CaughtUpAsync(IReadOnlyDictionary<string, int> expected) =>
        Eventually.HoldsAsync(() => _history.CaughtUpAsync(expected), "every event projected", TimeSpan.FromSeconds(60), () => _history.DescribeAsync(expected));

    [Fact]
    public async Task Events_in_Redis_when_it_restarts_reach_the_history_after_it_and_publishing_fails_at_once_meanwhile()
    {
        var rides = Enumerable.Range(0, 10).Select(_ => RideEvents.Of(RideEvents.NewRideId("redis-restart"), 4)).ToArray();
        var redis = await TestRedis.DatabaseAsync();
        // Redis keeps its data across this restart (a snapshot on shutdown), as a production Redis with persistence does.
        await redis.ExecuteAsync("CONFIG", "SET", "save", "3600 1");
        var dir = (string)(await redis.ExecuteAsync("CONFIG", "GET", "dir"))[1]!;
        await Task.WhenAll(rides.Select(r => _cluster.PublishAsync(r.Take(2).ToArray())));

        await TestRedisServer.StopAsync();
        try
        {
            var started = DateTime.UtcNow;
            await Assert.ThrowsAsync<StreamUnavailableException>(() => _cluster.PublishAsync(rides[0].Skip(2).ToArray()));
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "publishing fails within the operation timeout");
        }
        finally
        {
            await TestRedisServer.StartAsync();
            redis = await TestRedis.DatabaseAsync();
            await redis.ExecuteAsync("CONFIG", "SET", "save", "");
            File.Delete(Path.Combine(dir, "dump.rdb"));
        }
        // What the rides' outboxes retry until the provider takes it (the connection comes back within a second or so).
        await Task.WhenAll(rides.Select(r => RetryUntilTakenAsync(r.Skip(2).ToArray())));

        await CaughtUpAsync(rides.ToDictionary(r => r[0].RideId, r => r.Count));
        foreach (var ride in rides)
        {
            Assert.Equal([1, 2, 3, 4], _cluster.Arrivals.FirstArrivals(ride[0].RideId));
        }
    }

    private async Task RetryUntilTakenAsync(IReadOnlyList<Atlas.Grains.Rides.Events.RideEventMessage> events)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await _cluster.PublishAsync(events);
                return;
            }
            catch (StreamUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task Events_published_while_PostgreSQL_is_down_wait_in_the_queues_and_are_projected_once_it_returns()
    {
        var rides = Enumerable.Range(0, 10).Select(_ => RideEvents.Of(RideEvents.NewRideId("pg-down"), 3)).ToArray();
        await TestPostgresServer.StopAsync();
        try
        {
            await Task.WhenAll(rides.Select(r => _cluster.PublishAsync(r)));
            // The consumers are failing (the store is down) and the pulling agents deliver again.
            await Eventually.HoldsAsync(() => _cluster.Logs.Lines.Any(l => l.Level == LogLevel.Warning && l.Message.Contains("Failed to deliver", StringComparison.Ordinal)),
                "a failed delivery");
        }
        finally
        {
            await TestPostgresServer.StartAsync();
        }

        await CaughtUpAsync(rides.ToDictionary(r => r[0].RideId, r => r.Count));
        foreach (var ride in rides)
        {
            Assert.Equal([1, 2, 3], _cluster.Arrivals.FirstArrivals(ride[0].RideId));
        }
    }
}
