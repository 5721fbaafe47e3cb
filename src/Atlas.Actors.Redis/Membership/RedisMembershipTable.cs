using System.Globalization;
using System.Text.Json;
using Atlas.Actors.Client;
using Atlas.Actors.Membership;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Actors.Redis;

/// <summary>
/// The membership table of one cluster in one Redis hash, <c>{prefix}{clusterId}:membership</c>:
/// <list type="bullet">
/// <item><c>version</c> — the table version; its text is also the table ETag.</item>
/// <item><c>silo:{host:port@generation}</c> — <c>{"etag":"…","entry":{…}}</c>. A row's ETag is the table version
/// that wrote it, so it changes with every write of the row and is never reused.</item>
/// <item><c>alive:{host:port@generation}</c> — the row's IAmAlive time (ISO-8601 UTC).</item>
/// </list>
/// <see cref="ReadAllAsync"/> is one <c>HGETALL</c>; every write is one Lua script (<see cref="MembershipScripts"/>).
/// While Redis is unreachable every call fails with <see cref="MembershipTableUnavailableException"/> within
/// <see cref="RedisMembershipOptions.OperationTimeout"/>; the connection is re-established in the background, so the
/// table works again when Redis returns.
/// </summary>
public sealed partial class RedisMembershipTable : IMembershipTable, IAsyncDisposable, IDisposable
{
    private const string VersionField = "version";
    private const string RowPrefix = "silo:";
    private const string AlivePrefix = "alive:";

    private readonly RedisMembershipOptions _options;
    private readonly RedisKey _key;
    private readonly string _where;
    private readonly ILogger _logger;
    private readonly IConnectionMultiplexer? _shared;
    private readonly ConfigurationOptions? _configuration;
    private readonly object _connectLock = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    /// <summary>
    /// A table that opens its own connection from <see cref="RedisMembershipOptions.ConnectionString"/> at first use and
    /// closes it when disposed. <see cref="RedisMembershipOptions.ClusterId"/> must be set.
    /// </summary>
    public RedisMembershipTable(RedisMembershipOptions options, ILogger<RedisMembershipTable>? logger = null)
        : this(options, logger, shared: null, OwnConfiguration(options))
    {
    }

    /// <summary>
    /// A table on a connection shared with the rest of the process (the StackExchange.Redis norm: one multiplexer per
    /// process). The table does not close it. <see cref="RedisMembershipOptions.ClusterId"/> must be set.
    /// </summary>
    public RedisMembershipTable(IConnectionMultiplexer redis, RedisMembershipOptions options, ILogger<RedisMembershipTable>? logger = null)
        : this(options, logger, redis ?? throw new ArgumentNullException(nameof(redis)), configuration: null)
    {
    }

    private RedisMembershipTable(RedisMembershipOptions options, ILogger? logger, IConnectionMultiplexer? shared, ConfigurationOptions? configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ClusterId, $"{nameof(RedisMembershipOptions)}.{nameof(RedisMembershipOptions.ClusterId)}");
        _options = options;
        _key = options.KeyFor(options.ClusterId);
        _logger = logger ?? NullLogger.Instance;
        _shared = shared;
        _configuration = configuration;
        var endpoints = shared is not null ? shared.GetEndPoints().Select(e => e.ToString()) : configuration!.EndPoints.Select(e => e.ToString());
        _where = $"redis {string.Join(",", endpoints)} key {_key}";
        if (_shared is not null)
        {
            _shared.ConnectionFailed += OnConnectionFailed;
            _shared.ConnectionRestored += OnConnectionRestored;
        }
    }

    private static ConfigurationOptions OwnConfiguration(RedisMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        // Never give up on a Redis that is down: fail the calls (clearly, and bounded by the timeouts) and keep
        // reconnecting in the background, so the silo recovers without a restart.
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Milliseconds(options.ConnectTimeout);
        configuration.SyncTimeout = Milliseconds(options.OperationTimeout);
        // The library's default waits ConnectTimeout between reconnect attempts; membership wants Redis back soon.
        configuration.ReconnectRetryPolicy = new LinearRetry(1000);
        return configuration;
    }

    /// <summary>A table for a cluster client, on its own connection, for the client's cluster id (unless set in <paramref name="configure"/>).</summary>
    public static RedisMembershipTable ForClient(ClientOptions client, string connectionString, Action<RedisMembershipOptions>? configure = null,
        ILoggerFactory? loggerFactory = null)
    {
        var options = new RedisMembershipOptions { ConnectionString = connectionString };
        configure?.Invoke(options);
        options.ClusterId ??= client.ClusterId;
        return new RedisMembershipTable(options, loggerFactory?.CreateLogger<RedisMembershipTable>());
    }

    /// <summary>The Redis key of this table.</summary>
    public string Key => _key.ToString();

    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync("initialize", db => db.HashSetAsync(_key, VersionField, 0, When.NotExists), cancellationToken);

    public async Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var fields = await RunAsync("read all", db => db.HashGetAllAsync(_key), cancellationToken);
        var version = 0;
        var rows = new Dictionary<string, string>(fields.Length / 2);
        var alive = new Dictionary<string, string>(fields.Length / 2);
        foreach (var field in fields)
        {
            string name = field.Name!;
            if (name == VersionField)
            {
                version = (int)field.Value;
            }
            else if (name.StartsWith(RowPrefix, StringComparison.Ordinal))
            {
                rows[name[RowPrefix.Length..]] = field.Value!;
            }
            else if (name.StartsWith(AlivePrefix, StringComparison.Ordinal))
            {
                alive[name[AlivePrefix.Length..]] = field.Value!;
            }
        }
        var entries = new List<VersionedEntry>(rows.Count);
        foreach (var (silo, json) in rows)
        {
            try
            {
                var iAmAlive = alive.TryGetValue(silo, out var text) ? UtcTimes.Parse(text) : DateTime.MinValue;
                entries.Add(MembershipRowDocument.Deserialize(SiloAddress.Parse(silo), json, iAmAlive));
            }
            catch (Exception exception) when (exception is JsonException or FormatException)
            {
                throw new InvalidDataException($"The membership row of {silo} at {_where} cannot be read: {exception.Message}", exception);
            }
        }
        return new MembershipTableSnapshot(new TableVersion(version, version.ToString(CultureInfo.InvariantCulture)), entries);
    }

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion version, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("insert row", db => EvaluateAsync(db, MembershipScripts.Insert, WriteArguments(entry, version)),
            cancellationToken);
        return (int)result == 1;
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion version, CancellationToken cancellationToken = default)
    {
        RedisValue[] arguments = [.. WriteArguments(entry, version), etag];
        var result = await RunAsync("update row", db => EvaluateAsync(db, MembershipScripts.Update, arguments), cancellationToken);
        return (int)result == 1;
    }

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTime iAmAliveUtc, CancellationToken cancellationToken = default)
    {
        var address = silo.ToString();
        RedisValue[] arguments = [RowPrefix + address, AlivePrefix + address, UtcTimes.Format(iAmAliveUtc)];
        return RunAsync("update IAmAlive", db => EvaluateAsync(db, MembershipScripts.IAmAlive, arguments), cancellationToken);
    }

    public async Task CleanupDefunctEntriesAsync(DateTime beforeUtc, CancellationToken cancellationToken = default)
    {
        RedisValue[] arguments = [UtcTimes.Format(beforeUtc), nameof(SiloStatus.Dead), RowPrefix, AlivePrefix];
        var removed = (int)await RunAsync("clean up defunct rows", db => EvaluateAsync(db, MembershipScripts.Cleanup, arguments),
            cancellationToken);
        if (removed > 0)
        {
            LogDefunctRowsRemoved(removed, Key);
        }
    }

    /// <summary>The arguments <see cref="MembershipScripts.Insert"/> and <see cref="MembershipScripts.Update"/> share.</summary>
    private static RedisValue[] WriteArguments(MembershipEntry entry, TableVersion version)
    {
        var address = entry.Silo.ToString();
        // The row's new ETag is the version that writes it: unique per write, and no counter to keep.
        var etag = version.Version.ToString(CultureInfo.InvariantCulture);
        return
        [
            version.Version,
            RowPrefix + address,
            MembershipRowDocument.Serialize(entry, etag),
            AlivePrefix + address,
            UtcTimes.Format(entry.IAmAliveTimeUtc),
        ];
    }

    private async Task<RedisResult> EvaluateAsync(IDatabase database, string script, RedisValue[] arguments)
    {
        try
        {
            return await database.ScriptEvaluateAsync(script, [_key], arguments);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The server lost its script cache (SCRIPT FLUSH, a failover) while the connection stayed up, so the
            // library still sends EVALSHA. NOSCRIPT means the script did not run: load it again and retry once.
            await database.ExecuteAsync("SCRIPT", "LOAD", script);
            return await database.ScriptEvaluateAsync(script, [_key], arguments);
        }
    }

    // ---- Connection and failures -------------------------------------------------------------------------------

    private async Task<T> RunAsync<T>(string operation, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync(operation, cancellationToken);
        Task<T>? pending = null;
        try
        {
            pending = command(database);
            return await pending.WaitAsync(_options.OperationTimeout, cancellationToken);
        }
        catch (Exception exception) when (IsUnavailable(exception))
        {
            Observe(pending);
            throw new MembershipTableUnavailableException(_where, operation, exception);
        }
        catch (OperationCanceledException)
        {
            Observe(pending);
            throw;
        }
    }

    private async Task<IDatabase> DatabaseAsync(string operation, CancellationToken cancellationToken)
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
            var redis = await connecting.WaitAsync(_options.ConnectTimeout + TimeSpan.FromSeconds(1), cancellationToken);
            return redis.GetDatabase();
        }
        catch (Exception exception) when (IsUnavailable(exception) || exception is RedisException)
        {
            throw new MembershipTableUnavailableException(_where, operation, exception);
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_configuration!.Clone());
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        if (!redis.IsConnected)
        {
            LogNotConnectedAtStart(_where);
        }
        return redis;
    }

    private static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or TimeoutException => true,
        // A Redis that is starting, or stuck in a long script, cannot take the call now but will later.
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>A command abandoned on timeout may still fail later; observe it so that it is not reported as unobserved.</summary>
    private static void Observe(Task? pending)
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

    [LoggerMessage(1, LogLevel.Warning, "Redis connection of the membership table to {Endpoint} failed ({FailureType}): {Reason}; table calls fail until it is restored")]
    private partial void LogConnectionFailed(string endpoint, string failureType, string reason);

    [LoggerMessage(2, LogLevel.Information, "Redis connection of the membership table to {Endpoint} restored")]
    private partial void LogConnectionRestored(string endpoint);

    [LoggerMessage(3, LogLevel.Warning, "The membership table at {Where} could not connect at start; retrying in the background")]
    private partial void LogNotConnectedAtStart(string where);

    [LoggerMessage(4, LogLevel.Information, "Removed {Count} defunct silo row(s) from {Key}")]
    private partial void LogDefunctRowsRemoved(int count, string key);

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
        // Close our own connection once it exists, even if the connect is still under way. Not Dispose(): in 1.2.6 it
        // waits a full SyncTimeout (the operation timeout) before returning; commands still in flight just fail.
        connecting?.ContinueWith(static t => t.Result.Close(allowCommandsToComplete: false), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
