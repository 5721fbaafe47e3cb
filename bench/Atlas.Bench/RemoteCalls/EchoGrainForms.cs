using Orleans.Concurrency;
using Orleans.Placement;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// The same echo as <see cref="IRemoteBenchGrain.Echo"/> on a grain placed where its first call arrives: an Orleans
/// client sends every call of a grain through the same gateway (its grain-to-gateway buckets), so with
/// <c>[PreferLocalPlacement]</c> the gateway that receives a call hosts the grain and never forwards it to another silo.
/// </summary>
[Alias("bench.remote.local")]
public interface ILocalEchoGrain : IGrainWithIntegerKey
{
    ValueTask<int> Echo(int value);
}

[PreferLocalPlacement]
public sealed class LocalEchoGrain : Grain, ILocalEchoGrain
{
    public ValueTask<int> Echo(int value) => new(value);
}

/// <summary>
/// The same echo on a <c>[StatelessWorker]</c>, called with one key as such grains are (a stateless front: lookups,
/// validation, fan-out): the gateway that receives a call runs it on a local worker activation, with no grain directory
/// entry and no forwarding. Orleans marks a stateless worker's calls unordered, so the client sends each one to any gateway
/// (not through the one gateway its grain id maps to) and both silos share the load.
/// </summary>
[Alias("bench.remote.stateless")]
public interface IStatelessEchoGrain : IGrainWithIntegerKey
{
    ValueTask<int> Echo(int value);
}

[StatelessWorker]
public sealed class StatelessEchoGrain : Grain, IStatelessEchoGrain
{
    public ValueTask<int> Echo(int value) => new(value);
}
