using System.Text.Json.Nodes;
using Atlas.Simulator.Agents;
using Atlas.Simulator.Command;
using Atlas.Simulator.Figures;

namespace Atlas.Simulator;

/// <summary>The figures of one run, measured while the clock ran (set-up and wind-up excluded).</summary>
public sealed class SimulationResult
{
    public required string City { get; init; }
    public required string Dispatch { get; init; }
    public required string Payment { get; init; }
    public required string PositionTransport { get; init; }
    public required int Drivers { get; init; }
    public required int Riders { get; init; }
    public required double RidesPerSecondAsked { get; init; }
    public required TimeSpan Measured { get; init; }
    public required long RidesRequested { get; init; }
    public required long RidesMatched { get; init; }
    public required long RidesFinished { get; init; }
    public required long RidesNoDriver { get; init; }
    public required long RidesCancelled { get; init; }
    public required long RidesSkipped { get; init; }
    public required long OffersAccepted { get; init; }
    public required long OffersDeclined { get; init; }
    public required long OffersLost { get; init; }
    public required long TopUps { get; init; }
    public required long OfflinePeriods { get; init; }
    public required double TimeToMatchP50Ms { get; init; }
    public required double TimeToMatchP95Ms { get; init; }
    public required long ApiRequests { get; init; }
    public required double ApiP50Ms { get; init; }
    public required double ApiP95Ms { get; init; }
    public required double ApiP99Ms { get; init; }
    public required long Positions { get; init; }
    public required long Errors { get; init; }
    public required IReadOnlyList<string> ErrorSamples { get; init; }

    /// <summary>Per route: requests, p50 and p99 (ms).</summary>
    public required IReadOnlyDictionary<string, (int Requests, double P50Ms, double P99Ms)> Routes { get; init; }

    /// <summary>Errors while winding up (after the figures were taken): cancelling and finishing what was open.</summary>
    public long WindUpErrors { get; set; }

    public IReadOnlyList<string> WindUpErrorSamples { get; set; } = [];

    /// <summary>Rides still open when the clock stopped: cancelled by their riders, or finished early by their drivers.</summary>
    public (long Cancelled, long Finished) WoundUp { get; set; }

    public double PositionsPerSecond => Positions / Math.Max(Measured.TotalSeconds, 0.001);

    public double ApiRequestsPerSecond => ApiRequests / Math.Max(Measured.TotalSeconds, 0.001);

    public double RidesRequestedPerSecond => RidesRequested / Math.Max(Measured.TotalSeconds, 0.001);

    internal static SimulationResult From(SimulationFigures f, SimulatorOptions options, CityMarket market, string transport, TimeSpan measured, int drivers, int riders)
    {
        var match = f.TimeToMatch.Percentiles(50, 95);
        var api = f.ApiLatency.Percentiles(50, 95, 99);
        return new SimulationResult
        {
            City = market.City,
            Dispatch = market.OfferDispatch ? "offer" : "assign",
            Payment = options.Payment.ToString().ToLowerInvariant(),
            PositionTransport = transport,
            Drivers = drivers,
            Riders = riders,
            RidesPerSecondAsked = options.RidesPerSecond,
            Measured = measured,
            RidesRequested = f.RidesRequested,
            RidesMatched = f.RidesMatched,
            RidesFinished = f.RidesFinished,
            RidesNoDriver = f.RidesNoDriver,
            RidesCancelled = f.RidesCancelled,
            RidesSkipped = f.RidesSkipped,
            OffersAccepted = f.OffersAccepted,
            OffersDeclined = f.OffersDeclined,
            OffersLost = f.OffersLost,
            TopUps = f.TopUps,
            OfflinePeriods = f.OfflinePeriods,
            TimeToMatchP50Ms = match[0],
            TimeToMatchP95Ms = match[1],
            ApiRequests = f.ApiRequests,
            ApiP50Ms = api[0],
            ApiP95Ms = api[1],
            ApiP99Ms = api[2],
            Positions = f.Positions,
            Errors = f.Errors,
            ErrorSamples = [.. f.ErrorSamples],
            Routes = f.ApiLatencyByRoute.ToDictionary(r => r.Key, r => r.Value.Percentiles(50, 99) is var p ? (r.Value.Count, p[0], p[1]) : default),
        };
    }

    /// <summary>The run as one JSON object (the simulator's last line).</summary>
    public JsonObject ToJson() => new()
    {
        ["city"] = City,
        ["dispatch"] = Dispatch,
        ["payment"] = Payment,
        ["drivers"] = Drivers,
        ["riders"] = Riders,
        ["rides_per_second_asked"] = RidesPerSecondAsked,
        ["measured_s"] = Round(Measured.TotalSeconds),
        ["rides_requested"] = RidesRequested,
        ["rides_matched"] = RidesMatched,
        ["rides_finished"] = RidesFinished,
        ["rides_no_driver"] = RidesNoDriver,
        ["rides_cancelled"] = RidesCancelled,
        ["rides_skipped_no_free_rider"] = RidesSkipped,
        ["offers"] = new JsonObject { ["accepted"] = OffersAccepted, ["declined"] = OffersDeclined, ["lost"] = OffersLost },
        ["time_to_match_ms"] = new JsonObject { ["p50"] = Round(TimeToMatchP50Ms), ["p95"] = Round(TimeToMatchP95Ms) },
        ["api"] = new JsonObject
        {
            ["requests"] = ApiRequests,
            ["requests_per_s"] = Round(ApiRequestsPerSecond),
            ["p50_ms"] = Round(ApiP50Ms),
            ["p95_ms"] = Round(ApiP95Ms),
            ["p99_ms"] = Round(ApiP99Ms),
            ["routes"] = RoutesJson(),
        },
        ["positions"] = Positions,
        ["positions_per_s"] = Round(PositionsPerSecond),
        ["positions_over"] = PositionTransport,
        ["top_ups"] = TopUps,
        ["driver_breaks"] = OfflinePeriods,
        ["errors"] = Errors,
        ["error_samples"] = new JsonArray([.. ErrorSamples.Select(s => (JsonNode)JsonValue.Create(s))]),
        ["wound_up"] = new JsonObject { ["cancelled"] = WoundUp.Cancelled, ["finished"] = WoundUp.Finished },
        ["wind_up_errors"] = WindUpErrors,
        ["wind_up_error_samples"] = new JsonArray([.. WindUpErrorSamples.Select(s => (JsonNode)JsonValue.Create(s))]),
    };

    /// <summary>Each route's requests, p50 and p99, slowest p99 first.</summary>
    public JsonObject RoutesJson() => new(Routes.OrderByDescending(r => r.Value.P99Ms).Select(r => KeyValuePair.Create(r.Key, (JsonNode?)new JsonObject
    {
        ["requests"] = r.Value.Requests,
        ["p50_ms"] = Round(r.Value.P50Ms),
        ["p99_ms"] = Round(r.Value.P99Ms),
    })));

    private static JsonNode? Round(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, value < 10 ? 2 : 1)) : null;
}
