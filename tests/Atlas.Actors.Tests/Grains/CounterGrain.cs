namespace Atlas.Actors.Tests.Grains;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Increment();

    Task<int> Get();

    /// <summary>The value the state held when OnActivateAsync ran.</summary>
    Task<int> ValueSeenOnActivation();

    Task Clear();
}

public sealed class CounterState
{
    public int Value { get; set; }
}

public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> state) : Grain, ICounterGrain
{
    private int _valueSeenOnActivation = -1;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _valueSeenOnActivation = state.State.Value;
        return Task.CompletedTask;
    }

    public async Task<int> Increment()
    {
        state.State.Value++;
        await state.WriteStateAsync();
        return state.State.Value;
    }

    public Task<int> Get() => Task.FromResult(state.State.Value);

    public Task<int> ValueSeenOnActivation() => Task.FromResult(_valueSeenOnActivation);

    public Task Clear() => state.ClearStateAsync();
}

public interface IGuidCounterGrain : IGrainWithGuidKey
{
    Task<Guid> Key();
}

public sealed class GuidCounterGrain : Grain, IGuidCounterGrain
{
    public Task<Guid> Key() => Task.FromResult(GetPrimaryKey());
}

public interface ILongKeyGrain : IGrainWithIntegerKey
{
    Task<long> Key();
}

public sealed class LongKeyGrain : Grain, ILongKeyGrain
{
    public Task<long> Key() => Task.FromResult(GetPrimaryKeyLong());
}

/// <summary>A counter whose increment can be held between reading and writing, to race two activations.</summary>
public interface IRacingCounterGrain : IGrainWithStringKey
{
    /// <summary>Reads the value, waits at the probe's gate, then writes value + 1.</summary>
    [ResponseTimeout("00:01:00")]
    Task<int> IncrementAfterGate(string gate);

    Task<int> Increment();

    Task<int> Get();
}

public sealed class RacingCounterGrain([PersistentState("racing")] IPersistentState<CounterState> state, TestProbe probe) : Grain, IRacingCounterGrain
{
    public async Task<int> IncrementAfterGate(string gate)
    {
        var read = state.State.Value;
        probe.Record($"read:{GetPrimaryKeyString()}:{read}@{Silo}");
        await probe.Gate(gate);
        state.State.Value = read + 1;
        await state.WriteStateAsync();
        return state.State.Value;
    }

    public async Task<int> Increment()
    {
        state.State.Value++;
        await state.WriteStateAsync();
        return state.State.Value;
    }

    public Task<int> Get() => Task.FromResult(state.State.Value);
}
