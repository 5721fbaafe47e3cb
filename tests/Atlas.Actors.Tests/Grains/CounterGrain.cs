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
