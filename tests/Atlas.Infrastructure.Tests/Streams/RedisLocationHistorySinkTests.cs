using System.Diagnostics;
using System.Diagnostics.Metrics;
using Atlas.Grains.Geo;
using Atlas.Grains.Rides.Events;
using Atlas.Infrastructure.Streams;

namespace Atlas.Infrastructure.Tests.Streams;

public sealed class RedisLocationHistorySinkTests
{
    private static DriverLocationMessage Position(string driverId, int i) =>
        new(driverId, new GeoPoint(48.85 + i * 1e-5, 2.35), new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(i), DriverStatusSnapshot.Available);

    [Fact]
    public async Task Positions_reach_the_partition_of_their_driver_in_pipelined_batches()
    {
        var options = TestRedis.Options(TestRedis.NewPrefix("locations"));
        options.LocationBatchSize = 100;
        await using var connection = TestRedis.Connection(options);
        await using var sink = new RedisLocationHistorySink(connection, options);
        var drivers = Enumerable.Range(0, 25).Select(i => $"driver-{i}-{Guid.NewGuid():N}").ToArray();

        for (var i = 0; i < 100; i++)
        {
            foreach (var driver in drivers)
            {
                sink.Append(Position(driver, i));
            }
        }

        await Eventually.HoldsAsync(() => sink.Written == 2_500, "2500 positions written", describe: () => $"{sink.Written} written, {sink.Dropped} dropped");
        var entries = new List<StreamEntry>();
        for (var p = 0; p < options.LocationPartitions; p++)
        {
            entries.AddRange(await TestRedis.RangeAsync(options.LocationStream(p)));
        }
        var positions = entries.Select(e => (Stream: e.Stream, Position: RideStreamEntries.ParseDriverLocation(e))).ToArray();
        Assert.Equal(2_500, positions.Length);
        Assert.All(positions, p => Assert.Equal(options.LocationStreamOf(p.Position.DriverId), p.Stream));
        Assert.Equal(0, sink.Dropped);
        // Per driver, in the order they were appended.
        Assert.All(positions.GroupBy(p => p.Position.DriverId), g => Assert.Equal(g.Select(p => p.Position.At).Order(), g.Select(p => p.Position.At)));
        Assert.Equal(Position(drivers[3], 42), positions.Single(p => p.Position.DriverId == drivers[3] && p.Position.At == Position(drivers[3], 42).At).Position);
    }

    [Fact]
    public async Task When_the_buffer_is_full_appending_drops_the_position_counts_it_and_returns_at_once()
    {
        var options = TestRedis.Options(TestRedis.NewPrefix("locations-full"));
        options.LocationBufferCapacity = 10;
        options.LocationBatchSize = 5;
        options.LocationRetryDelay = TimeSpan.FromMinutes(1); // after its first failed write the loop takes nothing more
        await using var nowhere = new RedisStreamConnection($"127.0.0.1:{RedisRideEventSinkTests.ClosedPort()},connectTimeout=500", options);
        await using var sink = new RedisLocationHistorySink(nowhere, options);
        long droppedForBufferFull = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamMetrics.MeterName && instrument.Name == "atlas.streams.locations.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "reason", Value: "buffer_full" })
                {
                    Interlocked.Add(ref droppedForBufferFull, value);
                }
            }
        });
        listener.Start();

        // The first batch goes to the writer (which fails and pauses); then the buffer fills up.
        sink.Append(Position("d", 0));
        await Eventually.HoldsAsync(() => sink.Dropped > 0, "the first write to fail");
        var stopwatch = Stopwatch.StartNew();
        for (var i = 1; i <= 10_000; i++)
        {
            sink.Append(Position("d", i));
        }
        var elapsed = stopwatch.Elapsed;

        Assert.Equal(10, sink.Buffered);
        Assert.Equal(1 + (10_000 - 10), sink.Dropped); // the failed write's one, and every append beyond the capacity
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"10 000 appends took {elapsed}: appending must never wait");
        Assert.True(Interlocked.Read(ref droppedForBufferFull) >= 10_000 - 10);
    }

    [Fact]
    public async Task Positions_still_buffered_when_the_sink_is_disposed_are_written()
    {
        var options = TestRedis.Options(TestRedis.NewPrefix("locations-dispose"), partitions: 1);
        options.LocationFlushInterval = TimeSpan.FromMinutes(1);
        options.LocationBatchSize = 10_000;
        await using var connection = TestRedis.Connection(options);
        var sink = new RedisLocationHistorySink(connection, options);

        for (var i = 0; i < 300; i++)
        {
            sink.Append(Position("d", i));
        }
        await sink.DisposeAsync();

        Assert.Equal(300, await TestRedis.LengthAsync(options.LocationStream(0)));
    }
}
