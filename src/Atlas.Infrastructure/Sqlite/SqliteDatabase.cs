using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.Sqlite;

/// <summary>
/// One SQLite file as the Atlas providers use it: write-ahead logging, a busy timeout, writes serialized through one
/// connection (SQLite has a single writer per file; taking turns in-process avoids lock waits and "database is locked"
/// errors), reads on pooled connections that run beside the writer. Each write is one transaction, so a crash leaves
/// either all of it or none of it.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>
    /// One write gate per file per process, shared by every <see cref="SqliteDatabase"/> opened on that file (several
    /// silos of one process, or providers registered in different containers), so their writes never collide.
    /// </summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> WriteGates = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _writeGate;
    private readonly string _connectionString;
    private readonly SqliteOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<IReadOnlyList<SqliteMigration>, Task> _schemas = new(ReferenceEqualityComparer.Instance);
    private SqliteConnection? _writer;
    private bool _disposed;

    /// <param name="path">The database file; created (with its folder) if missing.</param>
    /// <param name="options">Busy timeout and durability (defaults when null).</param>
    /// <param name="logger">Where migrations and failures are logged.</param>
    public SqliteDatabase(string path, SqliteOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _options = options ?? new SqliteOptions();
        if (_options.BusyTimeout <= TimeSpan.Zero)
        {
            throw new AtlasConfigurationException($"SqliteOptions.BusyTimeout must be positive (it is {_options.BusyTimeout}).");
        }
        _logger = logger ?? NullLogger.Instance;
        Path = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy statement for this long, on top of SQLite's own busy handler.
            DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds),
        }.ToString();
        _writeGate = WriteGates.GetOrAdd(OperatingSystem.IsWindows() ? Path.ToUpperInvariant() : Path, static _ => new SemaphoreSlim(1, 1));
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    /// <summary>The busy timeout and durability this file was opened with.</summary>
    public SqliteOptions Options => _options;

    /// <summary>
    /// Runs <paramref name="read"/> on a pooled connection. It sees the last committed state, and does not wait for a
    /// write in progress.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecutePragmasAsync(connection, $"pragma busy_timeout = {BusyTimeoutMs}; pragma foreign_keys = on;", cancellationToken);
        return await read(connection, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one transaction (<c>BEGIN IMMEDIATE</c>) on the file's writer connection, after
    /// the writes before it: it commits if <paramref name="write"/> returns, and rolls back entirely if it throws.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var connection = await WriterAsync(cancellationToken);
            try
            {
                await using var transaction = connection.BeginTransaction(deferred: false);
                var result = await write(connection, transaction, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch (SqliteException exception) when (SqliteFailures.IsUnavailable(exception))
            {
                // The connection may be unusable (I/O error, file gone): start the next write on a fresh one.
                DropWriter();
                throw;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Applies those of <paramref name="migrations"/> the file does not have yet (once per instance and migration set;
    /// tried again on the next call if it failed). Safe when several processes open the file at once: each migration
    /// runs in a write transaction that also records it in <c>atlas_schema_migrations</c>.
    /// </summary>
    public Task EnsureSchemaAsync(IReadOnlyList<SqliteMigration> migrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        Task applying;
        lock (_schemas)
        {
            if (!_schemas.TryGetValue(migrations, out applying!) || applying.IsFaulted || applying.IsCanceled)
            {
                // Not the caller's token: one caller giving up must not fail the others waiting on the same run.
                applying = SqliteMigrations.ApplyAsync(this, migrations, _logger, CancellationToken.None);
                _schemas[migrations] = applying;
            }
        }
        return applying.WaitAsync(cancellationToken);
    }

    private int BusyTimeoutMs => (int)Math.Min(int.MaxValue, _options.BusyTimeout.TotalMilliseconds);

    private async Task<SqliteConnection> WriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            return _writer;
        }
        // Not pooled: the writer lives as long as this instance, and a pooled handle would keep the file open after Dispose.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            var synchronous = _options.Synchronous == SqliteSynchronousMode.Full ? "full" : "normal";
            await ExecutePragmasAsync(connection,
                $"pragma busy_timeout = {BusyTimeoutMs}; pragma journal_mode = wal; pragma synchronous = {synchronous}; pragma foreign_keys = on;",
                cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        _writer = connection;
        return connection;
    }

    private static async Task ExecutePragmasAsync(SqliteConnection connection, string pragmas, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private void DropWriter()
    {
        _writer?.Dispose();
        _writer = null;
    }

    /// <summary>Closes the writer and the pooled readers, so that the file can be reopened, copied or deleted.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _writeGate.Wait();
        try
        {
            DropWriter();
        }
        finally
        {
            _writeGate.Release();
        }
        using var pooled = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(pooled);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"SQLite {Path}");
}
