using Atlas.Infrastructure.Sqlite;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>A database file in a folder of its own under the temp directory, deleted (with its WAL) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly List<SqliteDatabase> _opened = [];

    public TempDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "atlas-hosting-sqlite-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        FilePath = Path.Combine(Folder, "atlas.db");
    }

    /// <summary>The folder that holds the file and nothing else.</summary>
    public string Folder { get; }

    /// <summary>The database file's path.</summary>
    public string FilePath { get; }

    /// <summary>Opens the file, as a silo of this process would (closed when this is disposed).</summary>
    public SqliteDatabase Open(SqliteOptions? options = null) => Track(new SqliteDatabase(FilePath, options));

    /// <summary>Closes <paramref name="database"/> when this is disposed.</summary>
    public SqliteDatabase Track(SqliteDatabase database)
    {
        lock (_opened)
        {
            _opened.Add(database);
        }
        return database;
    }

    public void Dispose()
    {
        lock (_opened)
        {
            foreach (var database in _opened)
            {
                database.Dispose();
            }
        }
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Still open elsewhere (a test that failed half-way): the OS cleans the temp folder eventually.
        }
    }
}
