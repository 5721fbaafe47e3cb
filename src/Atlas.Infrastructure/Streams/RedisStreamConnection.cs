using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// The Redis connection of the streams: the process's <see cref="IConnectionMultiplexer"/> when one is given (the
/// StackExchange.Redis norm: one multiplexer per process, not closed here), or one of its own, opened at first use and
/// closed (<c>Close(false)</c>, not <c>Dispose</c>, which in 1.2.6 waits a full sync timeout) when this is disposed.
/// Every call is bounded by <see cref="RideStreamOptions.OperationTimeout"/>; while Redis is down calls fail with
/// <see cref="StreamUnavailableException"/> and the connection is re-established in the background.
/// </summary>
public sealed partial class RedisStreamConnection : IAsyncDisposable, IDisposable
{
    private readonly IConnectionMultiplexer? _shared;
    private readonly ConfigurationOptions? _configuration;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeSpan _connectTimeout;
    private readonly ILogger _logger;
    private readonly object _connectLock = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    /// <summary>Streams on the process's shared connection.</summary>
    public RedisStreamConnection(IConnectionMultiplexer redis, RideStreamOptions options, ILogger<RedisStreamConnection>? logger = null)
        : this(redis ?? throw new ArgumentNullException(nameof(redis)), null, options, logger)
    {
    }

    /// <summary>Streams on a connection of their own to <paramref name="connectionString"/> (a StackExchange.Redis configuration string).</summary>
    public RedisStreamConnection(string connectionString, RideStreamOptions options, ILogger<RedisStreamConnection>? logger = null)
        : this(null, OwnConfiguration(connectionString, options), options, logger)
    {
    }

    private RedisStreamConnection(IConnectionMultiplexer? shared, ConfigurationOptions? configuration, RideStreamOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _shared = shared;
        _configuration = configuration;
        _operationTimeout = options.OperationTimeout;
        _connectTimeout = options.ConnectTimeout;
        _logger = logger ?? NullLogger.Instance;
        var endpoints = shared is not null ? shared.GetEndPoints().Select(e => e.ToString()) : configuration!.EndPoints.Select(e => e.ToString());
        Where = $"redis {string.Join(",", endpoints)}";
        if (shared is not null)
        {
            shared.ConnectionFailed += OnConnectionFailed;
            shared.ConnectionRestored += OnConnectionRestored;
        }
    }

    /// <summary>The server(s), for messages: <c>redis 127.0.0.1:6379</c>.</summary>
    public string Where { get; }

    private static ConfigurationOptions OwnConfiguration(string connectionString, RideStreamOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(connectionString);
        // Never give up on a Redis that is down: fail the calls (clearly, bounded by the timeouts) and keep
        // reconnecting in the background, so streams recover without a restart.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Milliseconds(options.ConnectTimeout);
        configuration.SyncTimeout = Milliseconds(options.OperationTimeout);
        configuration.ReconnectRetryPolicy = new LinearRetry(1000);
        return configuration;
    }

    /// <summary>
    /// Runs <paramref name="command"/>; Redis being down, unreachable or too slow surfaces as
    /// <see cref="StreamUnavailableException"/> naming <paramref name="action"/>. Other server errors (e.g. NOGROUP) pass through.
    /// </summary>
    public async Task<T> RunAsync<T>(string action, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken = default)
    {
        var database = await DatabaseAsync(action, cancellationToken).ConfigureAwait(false);
        Task<T>? pending = null;
        try
        {
            pending = command(database);
            return await pending.WaitAsync(_operationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsUnavailable(exception) && !cancellationToken.IsCancellationRequested)
        {
            Observe(pending);
            throw Unavailable(action, exception);
        }
        catch (OperationCanceledException)
        {
            Observe(pending);
            throw;
        }
    }

    private StreamUnavailableException Unavailable(string action, Exception cause) => new(
        $"Redis streams at {Where} are unavailable: {action} failed ({cause.Message}). " +
        "Redis is down, unreachable or too slow; the call can be retried when it is back.", cause);

    private async Task<IDatabase> DatabaseAsync(string action, CancellationToken cancellationToken)
    {
        if (_shared is not null)
        {
            return _shared.GetDatabase();
        }
        Task<ConnectionMultiplexer> connecting;
        lock (_connectLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectAsync();
            }
            connecting = _connecting;
        }
        try
        {
            // With abortConnect off the connect returns after ConnectTimeout even if Redis is down; the extra second
            // only guards against a connect that never returns.
            var redis = await connecting.WaitAsync(_connectTimeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return redis.GetDatabase();
        }
        catch (Exception exception) when ((IsUnavailable(exception) || exception is RedisException) && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(action, exception);
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_configuration!.Clone()).ConfigureAwait(false);
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        if (!redis.IsConnected)
        {
            LogNotConnectedAtStart(Where);
        }
        return redis;
    }

    /// <summary>Whether the failure says Redis could not serve the call now (rather than that the call was wrong).</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        StreamUnavailableException or RedisConnectionException or TimeoutException => true,
        // A Redis that is starting, or stuck in a long script, cannot take the call now but will later.
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>A command abandoned on timeout may still fail later; observe it so that it is not reported as unobserved.</summary>
    internal static void Observe(Task? pending)
    {
        if (pending is { IsCompleted: false })
        {
            pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            LogConnectionFailed(e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception?.Message ?? "");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            LogConnectionRestored(e.EndPoint?.ToString() ?? "?");
        }
    }

    private static int Milliseconds(TimeSpan time) => (int)Math.Clamp(time.TotalMilliseconds, 1, int.MaxValue);

    [LoggerMessage(1, LogLevel.Warning, "Redis connection of the streams to {Endpoint} failed ({FailureType}): {Reason}; stream calls fail until it is restored")]
    private partial void LogConnectionFailed(string endpoint, string failureType, string reason);

    [LoggerMessage(2, LogLevel.Information, "Redis connection of the streams to {Endpoint} restored")]
    private partial void LogConnectionRestored(string endpoint);

    [LoggerMessage(3, LogLevel.Warning, "The streams at {Where} could not connect at start; retrying in the background")]
    private partial void LogNotConnectedAtStart(string where);

    public void Dispose()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_connectLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            connecting = _connecting;
        }
        if (_shared is not null)
        {
            _shared.ConnectionFailed -= OnConnectionFailed;
            _shared.ConnectionRestored -= OnConnectionRestored;
        }
        connecting?.ContinueWith(static t => t.Result.Close(allowCommandsToComplete: false), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
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
