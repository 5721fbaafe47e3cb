using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Atlas.Infrastructure.Postgres;

/// <summary>
/// Tells failures of the database (down, unreachable, restarting, too slow) from failures of the request, and runs
/// provider operations so that the former surface as the provider's "unavailable" exception. Public so that other
/// Atlas components on PostgreSQL (the ledger) classify failures the same way.
/// </summary>
public static class PostgresFailures
{
    /// <summary>Whether the failure says the database could not serve the call, rather than that the call was wrong.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => IsUnavailableState(postgres.SqlState),
        NpgsqlException => true, // failed to connect, broken stream, command timeout
        TimeoutException or SocketException or IOException => true,
        _ => false,
    };

    // 08: connection exceptions; 53: insufficient resources (disk full, too many connections);
    // 57P01-57P03: the server is shutting down, crashed, or still starting; 57014: a server-side statement timeout.
    private static bool IsUnavailableState(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal) ||
        state is "57P01" or "57P02" or "57P03" or "57014";

    /// <summary>
    /// The server ended the session (shutdown or crash): an idle pooled connection that outlived a restart fails
    /// this way on first use. The statement did not take effect, so any operation may be retried at once on a new
    /// connection (Npgsql clears the pool when this happens).
    /// </summary>
    private static bool IsEndedSession(Exception exception) => exception is PostgresException { SqlState: "57P01" or "57P02" };

    /// <summary>The connection broke while a statement was in flight; only safe to repeat if the statement only reads.</summary>
    private static bool IsBrokenStream(Exception exception) =>
        exception is NpgsqlException { InnerException: IOException or EndOfStreamException } and not PostgresException;

    /// <summary>
    /// Runs <paramref name="operation"/>; retries it once if the failure came from a connection the server had ended
    /// (or, for reads, from any broken connection), and turns database unavailability into <paramref name="unavailable"/>.
    /// </summary>
    public static async Task<T> RunAsync<T>(
        Func<CancellationToken, Task<T>> operation,
        bool readOnly,
        string provider,
        string action,
        Func<string, Exception, Exception> unavailable,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (Exception exception) when (IsUnavailable(exception) && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1 && (IsEndedSession(exception) || (readOnly && IsBrokenStream(exception))))
                {
                    PostgresLog.RetryingOnNewConnection(logger, provider, action, exception.Message);
                    continue;
                }
                PostgresLog.Unavailable(logger, provider, action, exception);
                throw unavailable(
                    $"{provider} is unavailable: {action} failed ({exception.Message}). " +
                    "The database is down, unreachable or too slow; the call can be retried when it is back.",
                    exception);
            }
        }
    }
}
