using System.Collections.Concurrent;
using Atlas.Actors.Serialization;

namespace Atlas.Actors.Persistence;

/// <summary>
/// The rows of in-memory grain storage. Shared by every silo of an in-process cluster, so a killed silo loses
/// nothing that was written (as with a database). Payloads are stored serialized, never by reference.
/// </summary>
public sealed class MemoryStorageStore
{
    internal ConcurrentDictionary<(string State, GrainId Grain), (byte[]? Payload, int Version)> Rows { get; } = new();

    /// <summary>How many records hold a payload.</summary>
    public int Count => Rows.Values.Count(r => r.Payload is not null);
}

/// <summary>An <see cref="IGrainStorage"/> over a <see cref="MemoryStorageStore"/>, with the same ETag rules as the durable providers.</summary>
public sealed class MemoryGrainStorage(MemoryStorageStore store, GrainStateSerializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        if (store.Rows.TryGetValue((stateName, grainId), out var row))
        {
            grainState.ETag = GrainStateVersion.Format(row.Version);
            grainState.RecordExists = row.Payload is not null;
            if (row.Payload is not null)
            {
                grainState.State = serializer.Deserialize<TState>(row.Payload);
            }
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var payload = serializer.Serialize(grainState.State);
        var next = Swap(stateName, grainId, grainState.ETag, payload);
        grainState.ETag = GrainStateVersion.Format(next);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var next = Swap(stateName, grainId, grainState.ETag, payload: null);
        grainState.ETag = GrainStateVersion.Format(next);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private int Swap(string stateName, GrainId grainId, string? etag, byte[]? payload)
    {
        var expected = GrainStateVersion.Parse(etag);
        var key = (stateName, grainId);
        while (true)
        {
            if (store.Rows.TryGetValue(key, out var row))
            {
                if (row.Version != expected)
                {
                    throw GrainStateVersion.Mismatch(stateName, grainId, row.Version, etag);
                }
                if (store.Rows.TryUpdate(key, (payload, expected + 1), row))
                {
                    return expected + 1;
                }
            }
            else
            {
                if (expected != 0)
                {
                    throw GrainStateVersion.Mismatch(stateName, grainId, 0, etag);
                }
                if (store.Rows.TryAdd(key, (payload, 1)))
                {
                    return 1;
                }
            }
        }
    }
}
