using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Npgsql;
using Xunit.Abstractions;

namespace Atlas.Integration.Tests.Streams;

/// <summary>
/// Three silo processes on the Redis stream provider (chosen by <c>ConnectionStrings:Redis</c>, as every silo process
/// is) projecting ride events into PostgreSQL, with rides moving while one silo is killed with kill -9: its queues,
/// with what it had read and not acknowledged, go to the survivors, and every event of every ride reaches the history
/// once, in sequence.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class StreamKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;
    private readonly NpgsqlDataSource _history = TestPostgresServer.CreateDataSource();

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _history.DisposeAsync();
    }

    [Fact]
    public async Task Every_event_of_every_ride_reaches_the_history_once_and_in_sequence_across_a_kill_9_in_the_middle_of_the_workload()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var rides = Enumerable.Range(0, 40).Select(i => $"stream-kill-{run}-{i}").ToArray();
        var pickup = new GeoPoint(48.85 + Random.Shared.NextDouble() / 10, 2.35 + Random.Shared.NextDouble() / 10);
        var dropoff = new GeoPoint(pickup.Latitude + 0.02, pickup.Longitude);

        // Every ride is created and then cancelled (two events or more each); when half the rides are created, a
        // silo dies with events published, read and not acknowledged, and rides still moving.
        var created = 0;
        var halfCreated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workload = Task.WhenAll(rides.Select(async (id, i) =>
        {
            await Task.Delay(i * 25);
            await RetryAsync(() => _cluster.Grains.GetGrain<IOrderGrain>(id).Create(new RideRequest($"rider-{id}", pickup, dropoff)));
            if (Interlocked.Increment(ref created) == rides.Length / 2)
            {
                halfCreated.TrySetResult();
            }
            await RetryAsync(() => _cluster.Grains.GetGrain<IOrderGrain>(id).Cancel(RideActor.Rider, $"rider-{id}", "kill test"));
        }));
        await halfCreated.Task;
        await _cluster.Silos[1].KillAsync();
        await workload;

        var expected = new Dictionary<string, int>();
        foreach (var id in rides)
        {
            expected[id] = (await RetryAsync(() => _cluster.Grains.GetGrain<IOrderGrain>(id).Get())).Timeline.Length;
        }
        await TestServices.UntilAsync(async () => (await StoredAsync(rides)).Count == expected.Values.Sum(), "every event in ride_events", TimeSpan.FromSeconds(90));

        var stored = await StoredAsync(rides);
        foreach (var id in rides)
        {
            Assert.Equal(Enumerable.Range(1, expected[id]), stored.Where(s => s.RideId == id).Select(s => s.Sequence));
        }
        await using var command = _history.CreateCommand("select count(*) from ride_history where ride_id = any($1) and status = 'CANCELLED'");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rides });
        Assert.Equal(rides.Length, (long)(await command.ExecuteScalarAsync())!);
    }

    private async Task<List<(string RideId, int Sequence)>> StoredAsync(string[] rides)
    {
        await using var command = _history.CreateCommand("select ride_id, sequence from ride_events where ride_id = any($1) order by ride_id, sequence");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rides });
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<(string, int)>();
        while (await reader.ReadAsync())
        {
            keys.Add((reader.GetString(0), reader.GetInt32(1)));
        }
        return keys;
    }

    /// <summary>A call the kill may fail (its grain was on the victim, or the victim is not yet declared dead) is made again, as a client would.</summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (DateTime.UtcNow < deadline && exception is not Atlas.Grains.Common.DomainException)
            {
                output.WriteLine($"retrying after {exception.GetType().Name}: {exception.Message}");
                await Task.Delay(200);
            }
        }
    }
}
