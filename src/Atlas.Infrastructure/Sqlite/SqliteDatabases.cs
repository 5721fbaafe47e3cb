using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Sqlite;

/// <summary>
/// The SQLite files of one service provider (a silo), one <see cref="SqliteDatabase"/> per path, so that the grain
/// storages, the reminder table and the ledger on one file share its writer. Disposed with the service provider.
/// </summary>
public sealed class SqliteDatabases : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<SqliteDatabase>> _databases = new(StringComparer.Ordinal);
    private readonly SqliteOptions _options;
    private readonly ILoggerFactory? _loggers;

    public SqliteDatabases(IOptions<SqliteOptions> options, ILoggerFactory? loggers = null)
    {
        _options = options.Value;
        _loggers = loggers;
    }

    /// <summary>The database on <paramref name="path"/> (opened on first use).</summary>
    public SqliteDatabase Get(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return _databases.GetOrAdd(Path.GetFullPath(path), full => new Lazy<SqliteDatabase>(() =>
            new SqliteDatabase(full, _options, _loggers?.CreateLogger<SqliteDatabase>()))).Value;
    }

    public void Dispose()
    {
        foreach (var database in _databases.Values.Where(d => d.IsValueCreated))
        {
            database.Value.Dispose();
        }
        _databases.Clear();
    }
}
