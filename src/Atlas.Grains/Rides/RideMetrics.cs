using System.Diagnostics.Metrics;

namespace Atlas.Grains.Rides;

/// <summary>Business instruments (meter <c>Atlas.Rides</c>): rides by outcome, active rides, fares and revenue.</summary>
public static class RideMetrics
{
    public const string MeterName = "Atlas.Rides";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Requested = Meter.CreateCounter<long>("atlas.rides.requested", "{ride}", "Rides that asked for a driver.");
    public static readonly Counter<long> Matched = Meter.CreateCounter<long>("atlas.rides.matched", "{ride}", "Rides a driver accepted.");
    public static readonly Counter<long> Completed = Meter.CreateCounter<long>("atlas.rides.completed", "{ride}", "Rides finished.");
    public static readonly Counter<long> Cancelled = Meter.CreateCounter<long>("atlas.rides.cancelled", "{ride}", "Rides cancelled.");
    public static readonly Counter<long> NoDriver = Meter.CreateCounter<long>("atlas.rides.no_driver", "{ride}", "Rides that found no driver.");
    public static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>("atlas.rides.active", "{ride}", "Rides requested and not yet closed.");
    public static readonly Counter<long> FaresMinor = Meter.CreateCounter<long>("atlas.rides.fares", "{minor_unit}", "Fares charged to riders, in minor units.");
    public static readonly Counter<long> RevenueMinor = Meter.CreateCounter<long>("atlas.rides.revenue", "{minor_unit}", "Platform commission earned, in minor units.");
}
