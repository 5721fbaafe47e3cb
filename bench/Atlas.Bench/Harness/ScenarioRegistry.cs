using Atlas.Bench.Activations;
using Atlas.Bench.ApiRequests;
using Atlas.Bench.Calls;
using Atlas.Bench.City;
using Atlas.Bench.Events;
using Atlas.Bench.Ingest;
using Atlas.Bench.Nearby;
using Atlas.Bench.RemoteCalls;
using Atlas.Bench.WalletLedger;

namespace Atlas.Bench.Harness;

/// <summary>Every scenario the harness can run: add a new one here.</summary>
public static class ScenarioRegistry
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new CallsScenario(),
        new ActivationsScenario(),
        new RemoteCallsScenario(),
        new LedgerScenario(),
        new HttpScenario(),
        new GrpcIngestScenario(),
        new NearbyScenario(),
        new IngestScenario(),
        new EventsScenario(),
        new CityScenario(),
    ];

    public static IScenario? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
}
