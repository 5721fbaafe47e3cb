using Atlas.Infrastructure;
using Npgsql;
using StackExchange.Redis;

namespace Atlas.Silo.Hosting;

/// <summary>
/// Checks, before the silo starts, that its Redis and PostgreSQL answer. Without the check a silo on an unreachable Redis
/// retries its membership table for minutes and one on an unreachable PostgreSQL fails its first grain call; with it the
/// process exits at once with one line naming the server and the setting.
/// </summary>
public static class ServerReachability
{
    /// <summary>How long each server may take to answer (both are tried at once).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="AtlasConfigurationException"/> naming the first server that does not answer.</summary>
    public static async Task VerifyAsync(SiloHostSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var redis = VerifyRedisAsync(settings, cancellationToken);
        var postgres = VerifyPostgresAsync(settings, cancellationToken);
        // Both are awaited (no unobserved failure); when both fail, Redis (the first) is reported.
        await Task.WhenAll(redis, postgres);
    }

    private static async Task VerifyRedisAsync(SiloHostSettings settings, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(settings.Redis);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = (int)Timeout.TotalMilliseconds;
        options.SyncTimeout = options.AsyncTimeout = (int)Timeout.TotalMilliseconds;
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(Timeout + TimeSpan.FromSeconds(1), cancellationToken);
            await redis.GetDatabase().PingAsync().WaitAsync(Timeout, cancellationToken);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new AtlasConfigurationException(
                $"Redis at {settings.RedisEndpoints} (ConnectionStrings:{SiloHostSettings.RedisConnectionName}) does not answer: {FirstLine(exception)} " +
                $"Start it, or point ConnectionStrings__{SiloHostSettings.RedisConnectionName} at the Redis of the cluster.", exception);
        }
    }

    private static async Task VerifyPostgresAsync(SiloHostSettings settings, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(settings.Postgres)
        {
            Timeout = (int)Timeout.TotalSeconds,
            Pooling = false,
        };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).WaitAsync(Timeout + TimeSpan.FromSeconds(1), cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
        {
            var what = exception is PostgresException ? "refuses the connection" : "does not answer";
            throw new AtlasConfigurationException(
                $"PostgreSQL at {settings.PostgresEndpoint} (ConnectionStrings:{SiloHostSettings.PostgresConnectionName}) {what}: {FirstLine(exception)} " +
                $"Start it, or point ConnectionStrings__{SiloHostSettings.PostgresConnectionName} at the cluster's database (host, port, user, password, database).",
                exception);
        }
    }

    /// <summary>The message of the failure (its innermost one when it only wraps), on one line.</summary>
    private static string FirstLine(Exception exception)
    {
        var message = exception switch
        {
            // Its message is a paragraph of advice about abortConnect; the failure type and the socket error say it all.
            RedisConnectionException redis => $"{redis.FailureType}{(redis.InnerException is { } inner ? $" ({inner.Message})" : "")}",
            PostgresException => exception.Message,
            NpgsqlException { InnerException: { } inner } => $"{exception.Message.TrimEnd('.')}: {inner.Message}",
            _ => exception.Message,
        };
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.EndsWith('.') ? line : line + ".";
    }
}
