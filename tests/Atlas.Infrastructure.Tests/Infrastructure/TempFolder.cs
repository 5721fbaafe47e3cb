using Microsoft.Data.Sqlite;

namespace Atlas.Infrastructure.Tests.Infrastructure;

/// <summary>A folder of its own under the temp directory for a test's database files, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "atlas-infrastructure-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A database file in this folder.</summary>
    public string File(string name = "atlas.db") => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // Pooled reader connections keep files open until their pool is cleared.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Still open elsewhere (a test that failed half-way): the OS cleans the temp folder eventually.
        }
    }
}
