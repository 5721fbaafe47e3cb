namespace Atlas.Infrastructure.Sqlite;

/// <summary>
/// Settings of the SQLite files a process uses (grain storage, reminders, the ledger): they apply to every file opened
/// through <see cref="SqliteDatabases"/>.
/// </summary>
public sealed class SqliteOptions
{
    /// <summary>
    /// How long a statement waits for a lock held by another connection (another process on the same file, or a
    /// checkpoint) before the call fails as unavailable (default 5 s). Writers of one process never wait on each
    /// other here: they take turns on one connection.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>PRAGMA synchronous</c> of the writer (default <see cref="SqliteSynchronousMode.Full"/>: a committed write
    /// survives a power loss, at the price of an fsync per commit). <see cref="SqliteSynchronousMode.Normal"/> keeps
    /// the file consistent after a power loss but may lose the last commits; a process crash loses nothing either way.
    /// </summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Full;
}

/// <summary>How hard SQLite flushes a commit to disk (<c>PRAGMA synchronous</c>).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>fsync at critical moments only; in WAL mode the last commits may be lost on power failure.</summary>
    Normal = 1,

    /// <summary>fsync on every commit: committed data survives power failure.</summary>
    Full = 2,
}
