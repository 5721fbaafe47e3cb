using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Atlas.Infrastructure.Sqlite;

/// <summary>
/// Tells failures of the file (locked by another process for too long, I/O error, disk full, cannot be opened) from
/// failures of the request, and runs provider operations so that the former surface as the provider's "unavailable"
/// exception.
/// </summary>
public static class SqliteFailures
{
    // Primary result codes (https://sqlite.org/rescode.html).
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int Protocol = 15;

    /// <summary>Whether the failure says the file could not serve the call, rather than that the call was wrong.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is Busy or Locked or ReadOnly or IoError or Full or CantOpen or Protocol,
        IOException or UnauthorizedAccessException => true,
        _ => false,
    };

    /// <summary>Runs <paramref name="operation"/>, turning unavailability of the file into <paramref name="unavailable"/>.</summary>
    public static async Task<T> RunAsync<T>(
        Func<CancellationToken, Task<T>> operation,
        string provider,
        string action,
        Func<string, Exception, Exception> unavailable,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        try
        {
            return await operation(cancellationToken);
        }
        catch (Exception exception) when (IsUnavailable(exception) && !cancellationToken.IsCancellationRequested)
        {
            SqliteLog.Unavailable(logger, provider, action, exception);
            throw unavailable(
                $"{provider} is unavailable: {action} failed ({exception.Message}). " +
                "The file is locked by another process, unreadable or the disk is full; the call can be retried.",
                exception);
        }
    }
}
