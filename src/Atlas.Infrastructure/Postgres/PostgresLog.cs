using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Postgres;

/// <summary>The PostgreSQL providers' log events (source-generated).</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(1, LogLevel.Information, "Applied PostgreSQL migration {MigrationId} in {ElapsedMs:0} ms")]
    public static partial void MigrationApplied(ILogger logger, string migrationId, double elapsedMs);

    [LoggerMessage(2, LogLevel.Information, "{Provider}: {Action} met a connection the server had closed ({Reason}); retrying on a new connection")]
    public static partial void RetryingOnNewConnection(ILogger logger, string provider, string action, string reason);

    [LoggerMessage(3, LogLevel.Warning, "{Provider} is unavailable: {Action} failed")]
    public static partial void Unavailable(ILogger logger, string provider, string action, Exception exception);
}
