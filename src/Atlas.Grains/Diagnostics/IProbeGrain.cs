using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Atlas.Grains.Diagnostics;

/// <summary>
/// A grain that checks the platform end to end: calls reach a silo (<see cref="Ping"/>) and state is written and read
/// back through grain storage (<see cref="Increment"/>). Used by readiness checks, the cluster tests and benchmarks.
/// </summary>
public interface IProbeGrain : IGrainWithStringKey
{
    /// <summary>Answers with the value and the silo that answered.</summary>
    [ReadOnly]
    Task<ProbeAnswer> Ping(int value);

    /// <summary>Adds one to a stored counter and returns the stored value.</summary>
    Task<long> Increment();

    [ReadOnly]
    Task<long> Get();
}

/// <summary>A probe's answer.</summary>
[GenerateSerializer, Immutable, Alias("atlas.ProbeAnswer")]
public sealed record ProbeAnswer([property: Id(0)] int Value, [property: Id(1)] string Silo);

/// <summary>The probe's stored counter.</summary>
[GenerateSerializer, Alias("atlas.ProbeState")]
public sealed class ProbeState
{
    [Id(0)]
    public long Count { get; set; }
}

/// <summary>See <see cref="IProbeGrain"/>.</summary>
public sealed class ProbeGrain([PersistentState("probe")] IPersistentState<ProbeState> state) : Grain, IProbeGrain
{
    public Task<ProbeAnswer> Ping(int value) => Task.FromResult(new ProbeAnswer(value, RuntimeIdentity));

    public async Task<long> Increment()
    {
        var count = state.State.Count + 1;
        state.State.Count = count;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // A failed write changes nothing, in memory as in storage: the next call must not write this count too.
            state.State.Count = count - 1;
            throw;
        }
        return count;
    }

    public Task<long> Get() => Task.FromResult(state.State.Count);
}
