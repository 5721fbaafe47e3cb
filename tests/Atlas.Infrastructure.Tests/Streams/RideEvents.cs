using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>Ride events as a ride publishes them, for tests that do not need the grains.</summary>
internal static class RideEvents
{
    private static readonly string[] Names = ["created", "requested", "offered", "matched", "arrived", "started", "finished", "paid:capture", "paid:credit", "paid:credit"];

    public static string NewRideId(string purpose = "ride") => $"{purpose}-{Guid.NewGuid():N}";

    /// <summary>Events 1..<paramref name="count"/> of a ride that finishes at its 7th event, each with the summary after it.</summary>
    public static IReadOnlyList<RideEventMessage> Of(string rideId, int count = 10, string? riderId = null, string? driverId = null,
        DateTimeOffset? createdAt = null, string currency = "EUR", long charged = 1_250, long commission = 250)
    {
        var created = createdAt ?? new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
        riderId ??= $"rider-{rideId}";
        driverId ??= $"driver-{rideId}";
        return Enumerable.Range(1, count).Select(sequence =>
        {
            var status = sequence switch
            {
                <= 3 => RideStatus.Created,
                4 => RideStatus.Matched,
                5 => RideStatus.Arrived,
                6 => RideStatus.Started,
                _ => RideStatus.Finished,
            };
            var finished = status == RideStatus.Finished;
            return new RideEventMessage(rideId, sequence, Names[(sequence - 1) % Names.Length],
                sequence <= 2 ? RideActor.Rider : sequence is 5 or 6 or 7 ? RideActor.Driver : RideActor.System,
                $"detail {sequence} é \"quoted\"", created.AddSeconds(sequence), status, riderId, sequence >= 4 ? driverId : null, "comfort",
                "paris", currency, 1_100, finished ? charged : null, finished ? commission : null, finished ? 5_432 : null, created);
        }).ToArray();
    }
}
