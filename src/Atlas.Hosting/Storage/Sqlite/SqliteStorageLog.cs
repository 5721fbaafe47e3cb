using Microsoft.Extensions.Logging;

namespace Atlas.Hosting.Storage.Sqlite;

/// <summary>The SQLite grain storage's and reminder table's log events (source-generated).</summary>
internal static partial class SqliteStorageLog
{
    [LoggerMessage(1, LogLevel.Warning,
        "{Path} holds grain state or reminders of the retired Atlas.Actors runtime (tables atlas_grain_state, atlas_reminders); " +
        "they are not migrated and this silo does not read them")]
    public static partial void RetiredTablesIgnored(ILogger logger, string path);
}
