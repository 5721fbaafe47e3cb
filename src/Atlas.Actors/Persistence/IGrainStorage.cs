using System.Globalization;

namespace Atlas.Actors.Persistence;

/// <summary>What a storage provider reads into and writes from.</summary>
public interface IGrainState<TState>
{
    TState State { get; set; }

    /// <summary>The integer version as a string; null when nothing was ever stored.</summary>
    string? ETag { get; set; }

    bool RecordExists { get; set; }
}

/// <summary>
/// A grain storage provider. Versions are integers: a write with a null ETag inserts version 1 and fails if a
/// record exists; a write with ETag v succeeds only if the stored version is v, and stores v+1; a clear
/// removes the payload but keeps (and bumps) the version so a stale writer still fails.
/// Every mismatch throws <see cref="InconsistentStateException"/>.
/// </summary>
public interface IGrainStorage
{
    Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);

    Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);

    Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default);
}

/// <summary>Helpers for providers that keep integer versions.</summary>
public static class GrainStateVersion
{
    /// <summary>The version an ETag stands for; 0 for null (nothing stored).</summary>
    public static int Parse(string? etag) =>
        etag is null ? 0 : int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"ETag '{etag}' is not a version number.", null, etag);

    public static string Format(int version) => version.ToString(CultureInfo.InvariantCulture);

    public static InconsistentStateException Mismatch(string stateName, GrainId grainId, int stored, string? current) =>
        new($"Version conflict writing state '{stateName}' of {grainId}: the store holds version {stored}, " +
            $"the writer had {current ?? "none"}. Another activation wrote first.",
            stored == 0 ? null : Format(stored), current);
}
