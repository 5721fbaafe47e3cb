namespace Atlas.Actors.Tests.Grains;

/// <summary>Uses a storage named "Archive": silos without it must refuse to start.</summary>
public interface IArchiveGrain : IGrainWithStringKey
{
    Task<int> Store(int value);
}

public sealed class ArchiveState
{
    public int Value { get; set; }
}

public sealed class ArchiveGrain([PersistentState("archive", "Archive")] IPersistentState<ArchiveState> state) : Grain, IArchiveGrain
{
    public async Task<int> Store(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return value;
    }
}
