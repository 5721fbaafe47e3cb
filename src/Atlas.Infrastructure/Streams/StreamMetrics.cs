using System.Diagnostics.Metrics;

namespace Atlas.Infrastructure.Streams;

/// <summary>Instruments of the Redis streams (meter <c>Atlas.Streams</c>).</summary>
public static class StreamMetrics
{
    public const string MeterName = "Atlas.Streams";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> RideEventsAppended = Meter.CreateCounter<long>(
        "atlas.streams.ride_events.appended", "{event}", "Ride events appended to the ride streams.");

    public static readonly Counter<long> LocationsAppended = Meter.CreateCounter<long>(
        "atlas.streams.locations.appended", "{position}", "Driver positions appended to the position streams.");

    public static readonly Counter<long> LocationsDropped = Meter.CreateCounter<long>(
        "atlas.streams.locations.dropped", "{position}",
        "Driver positions dropped before reaching Redis (tag reason: buffer_full, write_failed, shutdown).");

    public static readonly Counter<long> EntriesProcessed = Meter.CreateCounter<long>(
        "atlas.streams.consumer.processed", "{entry}", "Entries a consumer group handled and acknowledged (tag group).");

    public static readonly Counter<long> EntriesReclaimed = Meter.CreateCounter<long>(
        "atlas.streams.consumer.reclaimed", "{entry}", "Pending entries taken over from idle consumers (tag group).");

    public static readonly Counter<long> EntriesDeadLettered = Meter.CreateCounter<long>(
        "atlas.streams.consumer.dead_lettered", "{entry}", "Entries moved to a dead-letter stream (tags group, reason: malformed, handler_failed).");

    public static readonly Counter<long> EntriesLost = Meter.CreateCounter<long>(
        "atlas.streams.consumer.trimmed", "{entry}", "Pending entries the stream trimmed before they were handled (tag group).");
}
