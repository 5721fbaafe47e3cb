using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Sqlite;

/// <summary>The SQLite providers' log events (source-generated).</summary>
internal static partial class SqliteLog
{
    [LoggerMessage(1, LogLevel.Information, "Applied SQLite migration {MigrationId} to {Path} in {ElapsedMs:0} ms")]
    public static partial void MigrationApplied(ILogger logger, string migrationId, string path, double elapsedMs);

    [LoggerMessage(2, LogLevel.Warning, "{Provider} is unavailable: {Action} failed")]
    public static partial void Unavailable(ILogger logger, string provider, string action, Exception exception);
}
