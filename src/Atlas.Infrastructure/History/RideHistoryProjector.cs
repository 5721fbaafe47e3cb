using Atlas.Grains.Rides.Events;
using Atlas.Infrastructure.Streams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Atlas.Infrastructure.History;

/// <summary>
/// Keeps the ride history in PostgreSQL from the streams: one consumer (group <see cref="RideHistoryProjectorOptions.Group"/>)
/// over the ride streams into <c>ride_events</c> and <c>ride_history</c>, one over the position streams into
/// <c>driver_locations</c>, each writing a batch per transaction and acknowledging it only after the commit. Run one
/// per silo (or per projector process): the group spreads the entries over them, and one takes over what another
/// left pending. Starting does not wait for Redis or PostgreSQL; while either is down the consumers log, back off and
/// catch up when it returns.
/// </summary>
public sealed class RideHistoryProjector : IHostedService, IAsyncDisposable
{
    private readonly RideHistoryWriter _rideWriter;
    private readonly RideHistoryWriter? _locationWriter;
    private int _disposed;

    /// <param name="redis">The Redis connection the streams are on.</param>
    /// <param name="postgres">The ride history's database.</param>
    /// <param name="streams">The stream layout (must match the sinks').</param>
    /// <param name="options">Group, consumer name and consumer settings.</param>
    /// <param name="loggerFactory">For the consumers' and writers' logs.</param>
    public RideHistoryProjector(RedisStreamConnection redis, NpgsqlDataSource postgres, RideStreamOptions streams, RideHistoryProjectorOptions options,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(postgres);
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(options);
        streams.Validate();
        var consumer = options.Consumer.Clone();
        consumer.Group = options.Group;
        consumer.Consumer = options.ConsumerName ?? DefaultConsumerName();
        ConsumerName = consumer.Consumer;
        _rideWriter = new RideHistoryWriter(postgres, loggerFactory?.CreateLogger<RideHistoryWriter>());
        RideEvents = new RedisStreamConsumer<RideEventMessage>(redis, streams.RideStreams(), consumer, new RideEventProjection(_rideWriter),
            streams.DeadLetterMaxLength, loggerFactory?.CreateLogger<RedisStreamConsumer<RideEventMessage>>());
        if (options.ProjectLocations)
        {
            _locationWriter = new RideHistoryWriter(postgres, loggerFactory?.CreateLogger<RideHistoryWriter>());
            Locations = new RedisStreamConsumer<DriverLocationMessage>(redis, streams.LocationStreams(), consumer, new DriverLocationProjection(_locationWriter),
                streams.DeadLetterMaxLength, loggerFactory?.CreateLogger<RedisStreamConsumer<DriverLocationMessage>>());
        }
    }

    /// <summary>This projector's consumer name in the group.</summary>
    public string ConsumerName { get; }

    /// <summary>The consumer of the ride streams.</summary>
    public RedisStreamConsumer<RideEventMessage> RideEvents { get; }

    /// <summary>The consumer of the position streams (null when positions are not projected).</summary>
    public RedisStreamConsumer<DriverLocationMessage>? Locations { get; }

    /// <summary>A name that differs between processes on one machine and between machines.</summary>
    public static string DefaultConsumerName() => $"{Environment.MachineName}-{Environment.ProcessId}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RideEvents.StartAsync(cancellationToken);
        if (Locations is not null)
        {
            await Locations.StartAsync(cancellationToken);
        }
    }

    /// <summary>Stops reading; the batches in hand are finished and acknowledged unless <paramref name="cancellationToken"/> fires first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(RideEvents.StopAsync(cancellationToken), Locations?.StopAsync(cancellationToken) ?? Task.CompletedTask);
        await _rideWriter.DisposeAsync();
        if (_locationWriter is not null)
        {
            await _locationWriter.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await StopAsync(new CancellationToken(canceled: true));
    }
}
