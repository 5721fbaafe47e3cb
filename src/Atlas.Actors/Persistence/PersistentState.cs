using Atlas.Actors.Scheduling;

namespace Atlas.Actors.Persistence;

/// <summary>
/// The <see cref="IPersistentState{TState}"/> given to a grain. Loaded before activation; a failed write marks the
/// activation for deactivation, so the next call starts again from what is stored.
/// </summary>
internal sealed class PersistentState<TState>(ActivationData activation, string stateName, IGrainStorage storage)
    : IPersistentState<TState>, IGrainState<TState>, IActivationState where TState : new()
{
    public TState State { get; set; } = new();

    public string? ETag { get; set; }

    public string? Etag => ETag;

    public bool RecordExists { get; set; }

    Task IActivationState.ReadAsync(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        await storage.ReadStateAsync(stateName, activation.GrainId, this, cancellationToken);
        if (!RecordExists || State is null)
        {
            State = new TState();
        }
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await storage.WriteStateAsync(stateName, activation.GrainId, this, cancellationToken);
        }
        catch (Exception exception)
        {
            activation.OnStateWriteFailed(stateName, exception);
            throw;
        }
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await storage.ClearStateAsync(stateName, activation.GrainId, this, cancellationToken);
            State = new TState();
        }
        catch (Exception exception)
        {
            activation.OnStateWriteFailed(stateName, exception);
            throw;
        }
    }
}
