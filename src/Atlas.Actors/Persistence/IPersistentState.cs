namespace Atlas.Actors;

/// <summary>A grain's view of one piece of its stored state.</summary>
public interface IStorage<TState>
{
    /// <summary>The state; a new instance if nothing is stored.</summary>
    TState State { get; set; }

    /// <summary>The stored version (an integer as a string), or null if nothing was ever stored.</summary>
    string? Etag { get; }

    /// <summary>Whether a stored record exists (false before the first write and after a clear).</summary>
    bool RecordExists { get; }

    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the state, fenced by <see cref="Etag"/>; throws <see cref="InconsistentStateException"/> if someone else wrote since.</summary>
    Task WriteStateAsync(CancellationToken cancellationToken = default);

    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// State injected into a grain's constructor with <see cref="PersistentStateAttribute"/>; loaded before
/// <see cref="Grain.OnActivateAsync"/>.
/// </summary>
public interface IPersistentState<TState> : IStorage<TState>;

/// <summary>Marks a grain constructor parameter of type <see cref="IPersistentState{TState}"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    /// <summary>The name used by the storage provider for the grain's default storage.</summary>
    public const string DefaultStorageName = "Default";

    public string StateName { get; } = stateName;

    public string StorageName { get; } = storageName ?? DefaultStorageName;
}
