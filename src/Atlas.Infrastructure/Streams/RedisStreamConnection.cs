using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Atlas.Infrastructure.Redis;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// The Redis connection of the streams (an <see cref="RedisConnection"/>): the process's <see cref="IConnectionMultiplexer"/>
/// when one is given (not closed here), or one of its own, opened at first use and closed when this is disposed.
/// Every call is bounded by <see cref="RideStreamOptions.OperationTimeout"/>; while Redis is down calls fail with
/// <see cref="StreamUnavailableException"/> and the connection is re-established in the background.
/// </summary>
public sealed class RedisStreamConnection : IAsyncDisposable, IDisposable
{
    private const string Component = "streams";

    private readonly RedisConnection _connection;

    /// <summary>Streams on the process's shared connection.</summary>
    public RedisStreamConnection(IConnectionMultiplexer redis, RideStreamOptions options, ILogger<RedisStreamConnection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        Validate(options);
        _connection = new RedisConnection(redis, options.OperationTimeout, Component, logger);
    }

    /// <summary>Streams on a connection of their own to <paramref name="connectionString"/> (a StackExchange.Redis configuration string).</summary>
    public RedisStreamConnection(string connectionString, RideStreamOptions options, ILogger<RedisStreamConnection>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Validate(options);
        _connection = new RedisConnection(connectionString, options.ConnectTimeout, options.OperationTimeout, Component, logger);
    }

    private static void Validate(RideStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
    }

    /// <summary>The server(s), for messages: <c>redis 127.0.0.1:6379</c>.</summary>
    public string Where => _connection.Where;

    /// <summary>
    /// Runs <paramref name="command"/>; Redis being down, unreachable or too slow surfaces as
    /// <see cref="StreamUnavailableException"/> naming <paramref name="action"/>. Other server errors (e.g. NOGROUP) pass through.
    /// </summary>
    public Task<T> RunAsync<T>(string action, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken = default) =>
        _connection.RunAsync(command, cause => Unavailable(action, cause), cancellationToken);

    private StreamUnavailableException Unavailable(string action, Exception cause) => new(
        $"Redis streams at {Where} are unavailable: {action} failed ({cause.Message}). " +
        "Redis is down, unreachable or too slow; the call can be retried when it is back.", cause);

    /// <summary>
    /// Whether the failure says Redis could not serve the call now (rather than that the call was wrong): a stream call
    /// that already failed so, or any failure <see cref="RedisConnection.IsUnavailable"/> recognises.
    /// </summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is StreamUnavailableException || RedisConnection.IsUnavailable(exception);

    public void Dispose() => _connection.Dispose();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

/// <summary>
/// The stream connections of one process, one per Redis connection string (or the registered
/// <see cref="IConnectionMultiplexer"/> for all), so that the sinks and the consumers of a process share one connection.
/// Disposed with the service provider.
/// </summary>
public sealed class RedisStreamConnections : IAsyncDisposable, IDisposable
{
    private readonly IConnectionMultiplexer? _shared;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ConcurrentDictionary<string, Lazy<RedisStreamConnection>> _connections = new(StringComparer.Ordinal);

    /// <param name="shared">The process's multiplexer, if it has one: then every connection string maps to it.</param>
    /// <param name="loggerFactory">For the connections' logs.</param>
    public RedisStreamConnections(IConnectionMultiplexer? shared = null, ILoggerFactory? loggerFactory = null)
    {
        _shared = shared;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The connection for <paramref name="connectionString"/> (created on first use with <paramref name="options"/>' timeouts).</summary>
    public RedisStreamConnection Get(string connectionString, RideStreamOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var key = _shared is not null ? "" : connectionString;
        return _connections.GetOrAdd(key, _ => new Lazy<RedisStreamConnection>(() =>
        {
            var logger = _loggerFactory?.CreateLogger<RedisStreamConnection>();
            return _shared is not null
                ? new RedisStreamConnection(_shared, options, logger)
                : new RedisStreamConnection(connectionString, options, logger);
        })).Value;
    }

    public void Dispose()
    {
        foreach (var connection in _connections.Values.Where(c => c.IsValueCreated))
        {
            connection.Value.Dispose();
        }
        _connections.Clear();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
