using System.Diagnostics;
using Atlas.Infrastructure.Streams;

namespace Atlas.Infrastructure.Tests.Streams;

public sealed class RedisRideEventSinkTests : IAsyncLifetime
{
    private readonly RideStreamOptions _options = TestRedis.Options(TestRedis.NewPrefix("ride-sink"));
    private RedisStreamConnection _connection = null!;

    public Task InitializeAsync()
    {
        _connection = TestRedis.Connection(_options);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task A_rides_events_are_appended_to_its_partition_in_order_with_type_version_and_JSON_payload()
    {
        var sink = new RedisRideEventSink(_connection, _options);
        var rideId = RideEvents.NewRideId();
        var events = RideEvents.Of(rideId);

        await sink.PublishAsync(events.Take(4).ToArray());
        await sink.PublishAsync(events.Skip(4).ToArray());

        var stream = _options.RideStreamOf(rideId);
        Assert.Equal($"{_options.KeyPrefix}rides:{StreamPartitioner.PartitionOf(rideId, 4)}", stream);
        var entries = await TestRedis.RangeAsync(stream);
        Assert.Equal(events.Select(e => e.Sequence), entries.Select(e => RideStreamEntries.ParseRideEvent(e).Sequence));
        Assert.All(entries, e => Assert.Equal(["type", "v", "data"], e.Fields.Select(f => f.Key)));
        Assert.All(entries, e => Assert.Equal(("ride-event", "1"), (e["type"], e["v"])));
        Assert.Contains("\"ride_id\":", entries[0]["data"]);
        Assert.Contains("\"status\":\"CREATED\"", entries[0]["data"]);
        Assert.Equal(events, entries.Select(RideStreamEntries.ParseRideEvent));
    }

    [Fact]
    public async Task Rides_are_spread_over_every_partition_and_each_ride_stays_in_one()
    {
        var sink = new RedisRideEventSink(_connection, _options);
        var rides = Enumerable.Range(0, 64).Select(_ => RideEvents.NewRideId()).ToArray();

        await Task.WhenAll(rides.Select(ride => sink.PublishAsync(RideEvents.Of(ride, 3))));

        var byPartition = new Dictionary<int, IReadOnlyList<StreamEntry>>();
        for (var p = 0; p < _options.RidePartitions; p++)
        {
            byPartition[p] = await TestRedis.RangeAsync(_options.RideStream(p));
        }
        Assert.All(byPartition.Values, entries => Assert.NotEmpty(entries));
        Assert.Equal(rides.Length * 3, byPartition.Values.Sum(e => e.Count));
        foreach (var (partition, entries) in byPartition)
        {
            Assert.All(entries.Select(RideStreamEntries.ParseRideEvent), e => Assert.Equal(partition, StreamPartitioner.PartitionOf(e.RideId, 4)));
        }
    }

    [Fact]
    public void The_partition_of_a_key_is_the_same_in_every_process()
    {
        // FNV-1a 32 of the UTF-8 bytes: these values must never change, or rides would move between partitions.
        Assert.Equal(0x811C9DC5u, StreamPartitioner.Hash(""));
        Assert.Equal(0xE40C292Cu, StreamPartitioner.Hash("a"));
        Assert.Equal(0xBF9CF968u, StreamPartitioner.Hash("foobar"));
        Assert.Equal((int)(0xBF9CF968u % 8), StreamPartitioner.PartitionOf("foobar", 8));
    }

    [Fact]
    public async Task A_ride_stream_is_trimmed_near_its_maximum_length()
    {
        var options = TestRedis.Options(TestRedis.NewPrefix("ride-sink-trim"), partitions: 1);
        options.RideStreamMaxLength = 100;
        var sink = new RedisRideEventSink(_connection, options);

        for (var i = 0; i < 20; i++)
        {
            await sink.PublishAsync(RideEvents.Of(RideEvents.NewRideId(), 50));
        }

        // "MAXLEN ~" trims whole nodes of the stream (100 entries each by default): at least 100 stay, far fewer than 1000.
        Assert.InRange(await TestRedis.LengthAsync(options.RideStream(0)), 100, 300);
    }

    [Fact]
    public async Task Publishing_to_an_unreachable_Redis_fails_quickly_with_StreamUnavailableException_naming_the_ride()
    {
        var options = TestRedis.Options(TestRedis.NewPrefix("ride-sink-down"));
        await using var nowhere = new RedisStreamConnection($"127.0.0.1:{ClosedPort()},connectTimeout=500", options);
        var sink = new RedisRideEventSink(nowhere, options);
        var rideId = RideEvents.NewRideId();

        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StreamUnavailableException>(() => sink.PublishAsync(RideEvents.Of(rideId, 2)));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Contains(rideId, error.Message);
        Assert.Contains("unavailable", error.Message);
    }

    /// <summary>A loopback port nothing listens on.</summary>
    internal static int ClosedPort()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
