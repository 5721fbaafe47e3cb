using System.Collections.Concurrent;
using System.Diagnostics;
using Atlas.Simulator.City;
using Atlas.Simulator.Command;
using Atlas.Simulator.Figures;
using Atlas.Simulator.Platform;

namespace Atlas.Simulator.Agents;

/// <summary>What the city learned from the platform before it started: how its rides are dispatched and priced.</summary>
public sealed record CityMarket(string City, bool OfferDispatch, string Currency, string VehicleClass);

/// <summary>What every simulated app of one run shares: the platform, the map, the figures, the city's market.</summary>
public sealed class CityContext(SimulatorOptions options, AtlasHttp http, SimulationFigures figures, StreetGrid grid, CityMarket market)
{
    /// <summary>When each ride waiting for a driver was requested, so the driver who accepts it can time the match.</summary>
    private readonly ConcurrentDictionary<string, long> _awaitingMatch = new(StringComparer.Ordinal);

    public SimulatorOptions Options { get; } = options;

    public AtlasHttp Http { get; } = http;

    public SimulationFigures Figures { get; } = figures;

    public StreetGrid Grid { get; } = grid;

    public CityMarket Market { get; } = market;

    /// <summary>Metres a vehicle drives per position interval.</summary>
    public double MetresPerTick => Options.SpeedKmh / 3.6 * Options.PositionEvery.TotalSeconds;

    public string? CityParameter => Options.City;

    public void AwaitingMatch(string rideId) => _awaitingMatch[rideId] = Stopwatch.GetTimestamp();

    /// <summary>Counts a ride as matched once, timed from its request; false if it was counted already.</summary>
    public bool Matched(string rideId)
    {
        if (!_awaitingMatch.TryRemove(rideId, out var requested))
        {
            return false;
        }
        Figures.RideMatched(Stopwatch.GetElapsedTime(requested));
        return true;
    }

    /// <summary>A ride that will never be matched (no driver, cancelled): no longer waited for.</summary>
    public void NoLongerAwaited(string rideId) => _awaitingMatch.TryRemove(rideId, out _);
}
