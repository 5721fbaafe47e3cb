using System.Diagnostics.Metrics;

namespace Atlas.Grains.Streams;

/// <summary>Instruments of the platform's streams (meter <c>Atlas.Streams</c>), whichever provider carries them.</summary>
public static class StreamMetrics
{
    public const string MeterName = "Atlas.Streams";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> RideEventsPublished = Meter.CreateCounter<long>(
        "atlas.streams.ride_events.published", "{event}", "Ride events the stream provider acknowledged.");

    public static readonly Counter<long> PositionsPublished = Meter.CreateCounter<long>(
        "atlas.streams.positions.published", "{position}", "Driver positions the stream provider acknowledged.");

    public static readonly Counter<long> PositionsDropped = Meter.CreateCounter<long>(
        "atlas.streams.positions.dropped", "{position}",
        "Driver positions not published (tag reason: busy — too many waiting behind a publish in flight —, failed).");

    public static readonly Counter<long> Projected = Meter.CreateCounter<long>(
        "atlas.streams.projected", "{event}", "Events the ride history projection stored (tag kind: ride_event, position).");

    public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(
        "atlas.streams.dead_lettered", "{event}",
        "Events set aside with their reason instead of being retried forever (tags source: queue, projection; reason).");
}
