using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Redis;

/// <summary>
/// The Redis connection of one Atlas component (the membership table, the streams, the geo index store): the process's
/// <see cref="IConnectionMultiplexer"/> when one is given (the StackExchange.Redis norm: one multiplexer per process, not
/// closed here), or one of its own, opened at first use and closed when this is disposed. An own connection never gives
/// up on a Redis that is down: calls fail, bounded by the timeouts, and the connection is re-established in the
/// background, so the component recovers without a restart. Public so that every Atlas component on Redis connects,
/// logs and classifies failures the same way.
/// </summary>
public sealed partial class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly IConnectionMultiplexer? _shared;
    private readonly ConfigurationOptions? _configuration;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _operationTimeout;
    private readonly string _component;
    private readonly ILogger _logger;
    private readonly object _connectLock = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    /// <summary>A connection on the process's shared multiplexer, which this does not close.</summary>
    /// <param name="redis">The process's multiplexer.</param>
    /// <param name="operationTimeout">How long one call may take before it fails as unavailable.</param>
    /// <param name="component">What the connection serves, for logs: <c>membership table</c>, <c>streams</c>.</param>
    /// <param name="logger">The component's logger, so that the connection's logs carry its category.</param>
    public RedisConnection(IConnectionMultiplexer redis, TimeSpan operationTimeout, string component, ILogger? logger = null)
        : this(redis ?? throw new ArgumentNullException(nameof(redis)), configuration: null, TimeSpan.Zero, operationTimeout, component, logger)
    {
    }

    /// <summary>A connection of its own to <paramref name="connectionString"/>, opened at first use and closed when this is disposed.</summary>
    /// <param name="connectionString">A StackExchange.Redis configuration string; <c>abortConnect</c> is forced off.</param>
    /// <param name="connectTimeout">How long a connection attempt may take before calls fail as unavailable.</param>
    /// <param name="operationTimeout">How long one call may take before it fails as unavailable.</param>
    /// <param name="component">What the connection serves, for logs: <c>membership table</c>, <c>streams</c>.</param>
    /// <param name="logger">The component's logger, so that the connection's logs carry its category.</param>
    public RedisConnection(string connectionString, TimeSpan connectTimeout, TimeSpan operationTimeout, string component, ILogger? logger = null)
        : this(shared: null, OwnConfiguration(connectionString, connectTimeout, operationTimeout), connectTimeout, operationTimeout, component, logger)
    {
    }

    private RedisConnection(IConnectionMultiplexer? shared, ConfigurationOptions? configuration, TimeSpan connectTimeout, TimeSpan operationTimeout,
        string component, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        _shared = shared;
        _configuration = configuration;
        _connectTimeout = connectTimeout;
        _operationTimeout = operationTimeout;
        _component = component;
        _logger = logger ?? NullLogger.Instance;
        var endpoints = shared is not null ? shared.GetEndPoints().Select(e => e.ToString()) : configuration!.EndPoints.Select(e => e.ToString());
        Where = $"redis {string.Join(",", endpoints)}";
        if (shared is not null)
        {
            shared.ConnectionFailed += OnConnectionFailed;
            shared.ConnectionRestored += OnConnectionRestored;
        }
    }

    private static ConfigurationOptions OwnConfiguration(string connectionString, TimeSpan connectTimeout, TimeSpan operationTimeout)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        // Never give up on a Redis that is down: fail the calls (clearly, bounded by the timeouts) and keep
        // reconnecting in the background, so the component recovers without a restart. (StackExchange.Redis 2.x
        // defaults abortConnect to true except for Azure endpoints; a connection string may say either.)
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Milliseconds(connectTimeout);
        // 2.x bounds async calls by AsyncTimeout (which follows SyncTimeout unless set): both are the operation timeout.
        configuration.SyncTimeout = Milliseconds(operationTimeout);
        configuration.AsyncTimeout = Milliseconds(operationTimeout);
        // 2.x queues commands issued while disconnected until they time out (BacklogPolicy.Default). A component calls
        // Redis on behalf of a caller who is waiting: while the connection is known to be down, fail at once (as 1.x
        // did) instead of holding every call for the whole operation timeout.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        // The 2.x default backs off exponentially from ConnectTimeout / 2 between reconnect attempts; Atlas wants Redis
        // back within a second of its return.
        configuration.ReconnectRetryPolicy = new LinearRetry(1000);
        return configuration;
    }

    /// <summary>The server(s), for messages: <c>redis 127.0.0.1:6379</c>.</summary>
    public string Where { get; }

    /// <summary>
    /// The database, connecting first if this connection is its own and not connected yet (or the last attempt failed).
    /// A connect that takes too long throws <see cref="TimeoutException"/>; one that fails, the connect's exception.
    /// </summary>
    public async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken = default)
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
        // With abortConnect off the connect returns after ConnectTimeout even if Redis is down; the extra second only
        // guards against a connect that never returns.
        var redis = await connecting.WaitAsync(_connectTimeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        return redis.GetDatabase();
    }

    /// <summary>
    /// Runs <paramref name="command"/> within the operation timeout; Redis being down, unreachable or too slow (see
    /// <see cref="IsUnavailable"/>) surfaces as the component's own exception, made by <paramref name="unavailable"/>
    /// from the cause, as does any Redis error of the connect. Other failures (a wrong command, a cancellation) pass through.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> command, Func<Exception, Exception> unavailable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(unavailable);
        Task<T>? pending = null;
        var connected = false;
        try
        {
            var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
            connected = true;
            pending = command(database);
            return await pending.WaitAsync(_operationTimeout, cancellationToken).ConfigureAwait(false);
        }
        // Whatever Redis answers to a connect, the component cannot reach it.
        catch (Exception exception) when ((IsUnavailable(exception) || (!connected && exception is RedisException))
                                          && !cancellationToken.IsCancellationRequested)
        {
            Observe(pending);
            throw unavailable(exception);
        }
        catch (OperationCanceledException)
        {
            Observe(pending);
            throw;
        }
    }

    /// <summary>Whether the failure says Redis could not serve the call now (rather than that the call was wrong).</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // RedisTimeoutException is a TimeoutException; ObjectDisposedException is a multiplexer closed under the call.
        RedisConnectionException or TimeoutException or SocketException or ObjectDisposedException => true,
        // Redis is up but cannot serve yet (restarting with a dataset, a script stuck, a replica without its primary,
        // a cluster slot on the move).
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>A command abandoned on timeout may still fail later; observe it so that it is not reported as unobserved.</summary>
    public static void Observe(Task? pending)
    {
        if (pending is { IsCompleted: false })
        {
            pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_configuration!.Clone()).ConfigureAwait(false);
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        if (!redis.IsConnected)
        {
            LogNotConnectedAtStart(_component, Where);
        }
        return redis;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            LogConnectionFailed(_component, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception?.Message ?? "");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            LogConnectionRestored(_component, e.EndPoint?.ToString() ?? "?");
        }
    }

    private static int Milliseconds(TimeSpan time) => (int)Math.Clamp(time.TotalMilliseconds, 1, int.MaxValue);

    [LoggerMessage(1, LogLevel.Warning, "Redis connection of the {Component} to {Endpoint} failed ({FailureType}): {Reason}; its calls fail until it is restored")]
    private partial void LogConnectionFailed(string component, string endpoint, string failureType, string reason);

    [LoggerMessage(2, LogLevel.Information, "Redis connection of the {Component} to {Endpoint} restored")]
    private partial void LogConnectionRestored(string component, string endpoint);

    [LoggerMessage(3, LogLevel.Warning, "The {Component} at {Where} could not connect at start; retrying in the background")]
    private partial void LogNotConnectedAtStart(string component, string where);

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
        // Close our own connection once it exists, even if the connect is still under way, without waiting for commands
        // still in flight (they just fail): Dispose() would let them complete first, up to the operation timeout.
        connecting?.ContinueWith(static t => t.Result.Close(allowCommandsToComplete: false), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
