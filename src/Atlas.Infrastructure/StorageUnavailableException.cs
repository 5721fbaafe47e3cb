namespace Atlas.Infrastructure;

/// <summary>
/// A store a grain needs (grain state or reminders in SQLite or PostgreSQL) could not serve the call: down, unreachable,
/// locked or full. Nothing was written; the call can be retried. The message names the store.
/// </summary>
[GenerateSerializer, Alias("atlas.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
