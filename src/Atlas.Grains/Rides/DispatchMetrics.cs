using System.Diagnostics.Metrics;

namespace Atlas.Grains.Rides;

/// <summary>Dispatch instruments (meter <c>Atlas.Dispatch</c>): offers made to drivers and how they ended.</summary>
public static class DispatchMetrics
{
    public const string MeterName = "Atlas.Dispatch";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Offers = Meter.CreateCounter<long>("atlas.dispatch.offers", "{offer}", "Rides offered to a driver who was claimed for them.");
    public static readonly Counter<long> Declined = Meter.CreateCounter<long>("atlas.dispatch.offers.declined", "{offer}", "Offers a driver turned down.");
    public static readonly Counter<long> Expired = Meter.CreateCounter<long>("atlas.dispatch.offers.expired", "{offer}", "Offers that timed out unanswered.");
    public static readonly Counter<long> ClaimsRefused = Meter.CreateCounter<long>(
        "atlas.dispatch.claims.refused", "{claim}", "Candidates that could not be claimed (taken by another ride, offline, or their grain failed).");
}
