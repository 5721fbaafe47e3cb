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
    private readonly RedisConnection _connection;

    /// <summary>
    /// A table that opens its own connection from <see cref="RedisMembershipOptions.ConnectionString"/> at first use and
    /// closes it when disposed. <see cref="RedisMembershipOptions.ClusterId"/> must be set.
    /// </summary>
    public RedisMembershipTable(RedisMembershipOptions options, ILogger<RedisMembershipTable>? logger = null)
        : this(options, logger, shared: null)
    {
    }

    /// <summary>
    /// A table on a connection shared with the rest of the process (the StackExchange.Redis norm: one multiplexer per
    /// process). The table does not close it. <see cref="RedisMembershipOptions.ClusterId"/> must be set.
    /// </summary>
    public RedisMembershipTable(IConnectionMultiplexer redis, RedisMembershipOptions options, ILogger<RedisMembershipTable>? logger = null)
        : this(options, logger, redis ?? throw new ArgumentNullException(nameof(redis)))
    {
    }

    private RedisMembershipTable(RedisMembershipOptions options, ILogger? logger, IConnectionMultiplexer? shared)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ClusterId, $"{nameof(RedisMembershipOptions)}.{nameof(RedisMembershipOptions.ClusterId)}");
        _options = options;
        _key = options.KeyFor(options.ClusterId);
        _logger = logger ?? NullLogger.Instance;
        const string component = "membership table";
        _connection = shared is not null
            ? new RedisConnection(shared, options.OperationTimeout, component, _logger)
            : new RedisConnection(options.ConnectionString, options.ConnectTimeout, options.OperationTimeout, component, _logger);
        _where = $"{_connection.Where} key {_key}";
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

    private Task<T> RunAsync<T>(string operation, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken) =>
        _connection.RunAsync(command, cause => new MembershipTableUnavailableException(_where, operation, cause), cancellationToken);

    // Event ids 1-3 are the connection's (RedisConnection logs with this table's logger).
    [LoggerMessage(4, LogLevel.Information, "Removed {Count} defunct silo row(s) from {Key}")]
    private partial void LogDefunctRowsRemoved(int count, string key);

    /// <summary>Closes the table's own connection (a shared one stays open).</summary>
    public void Dispose() => _connection.Dispose();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
