using System.Globalization;
using System.Net.Sockets;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Infrastructure.GeoIndex;

/// <summary>
/// The geo index store on Redis: three keys per shard, written together by one Lua script per batch
/// (<see cref="GeoIndexScripts"/>), so a batch is one round trip and the keys never disagree:
/// <list type="bullet">
/// <item><c>{prefix}{{shard}}</c> — a GEO set of the shard's drivers, for Redis-side GEOSEARCH by other tools.</item>
/// <item><c>{prefix}{{shard}}:seen</c> — a sorted set of driver → last seen (unix ms): membership and staleness.</item>
/// <item><c>{prefix}{{shard}}:at</c> — a hash of driver → exact position and last-seen time, from which a shard rebuilds.</item>
/// </list>
/// <para>
/// Why the hash: Redis GEO keeps a 52-bit geohash (positions move by up to ~0.6 m) and refuses latitudes beyond
/// ±85.05112878°. A shard rebuilt from the hash answers exactly as the one that wrote it, its drivers stay inside its
/// cell, and polar drivers (absent from the GEO set only) are kept too.
/// </para>
/// <para>
/// Stale entries (last seen more than <see cref="GeoIndexOptions.EntryTimeToLive"/> ago) go three ways: the shard
/// grain purges them and writes removals; every write and every load also sweeps them from the seen set
/// (ZRANGEBYSCORE) and the two other keys; and every write and load sets the keys to expire when their freshest entry
/// goes stale, so a shard that is never activated again disappears from Redis by itself.
/// </para>
/// <para>
/// While Redis is unreachable, loads and writes fail within <see cref="RedisGeoIndexOptions.OperationTimeout"/> with
/// <see cref="GeoIndexStoreUnavailableException"/>; the connection is re-established in the background.
/// </para>
/// </summary>
public sealed partial class RedisGeoIndexStore : IGeoIndexStore, IAsyncDisposable, IDisposable
{
    /// <summary>Redis GEO accepts latitudes up to this (the Web-Mercator limit); entries beyond are kept out of the GEO set.</summary>
    public const double MaxGeoLatitude = 85.05112878;

    private const int Header = 8;

    private readonly RedisGeoIndexOptions _options;
    private readonly long _timeToLiveMs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IConnectionMultiplexer? _shared;
    private readonly ConfigurationOptions? _configuration;
    private readonly string _where;
    private readonly object _connectLock = new();
    private Task<ConnectionMultiplexer>? _connecting;
    private bool _disposed;

    /// <summary>A store that opens its own connection from <see cref="RedisGeoIndexOptions.ConnectionString"/> at first use and closes it when disposed.</summary>
    public RedisGeoIndexStore(RedisGeoIndexOptions options, GeoIndexOptions index, TimeProvider? time = null, ILogger<RedisGeoIndexStore>? logger = null)
        : this(options, index, time, logger, shared: null)
    {
    }

    /// <summary>A store on a connection shared with the rest of the process (one multiplexer per process); the store does not close it.</summary>
    public RedisGeoIndexStore(IConnectionMultiplexer redis, RedisGeoIndexOptions options, GeoIndexOptions index, TimeProvider? time = null,
        ILogger<RedisGeoIndexStore>? logger = null)
        : this(options, index, time, logger, redis ?? throw new ArgumentNullException(nameof(redis)))
    {
    }

    private RedisGeoIndexStore(RedisGeoIndexOptions options, GeoIndexOptions index, TimeProvider? time, ILogger? logger, IConnectionMultiplexer? shared)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(index.EntryTimeToLive, TimeSpan.Zero, nameof(index.EntryTimeToLive));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SweepLimit, 1, nameof(options.SweepLimit));
        _options = options;
        _timeToLiveMs = (long)Math.Ceiling(index.EntryTimeToLive.TotalMilliseconds);
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _shared = shared;
        if (shared is null)
        {
            _configuration = ConfigurationOptions.Parse(options.ConnectionString);
            // Never give up on a Redis that is down: fail the calls (clearly, bounded by the timeouts) and keep
            // reconnecting in the background, so the index recovers without a restart.
            _configuration.AbortOnConnectFail = false;
            _configuration.ConnectTimeout = Milliseconds(options.ConnectTimeout);
            _configuration.SyncTimeout = Milliseconds(options.OperationTimeout);
            _configuration.ReconnectRetryPolicy = new LinearRetry(1000);
        }
        var endpoints = shared is not null ? shared.GetEndPoints().Select(e => e.ToString()) : _configuration!.EndPoints.Select(e => e.ToString());
        _where = $"redis {string.Join(",", endpoints)}";
    }

    /// <summary>The GEO set of a shard.</summary>
    public string GeoKey(string shard) => $"{_options.KeyPrefix}{{{shard}}}";

    /// <summary>The sorted set of a shard's drivers by last seen (unix ms).</summary>
    public string SeenKey(string shard) => $"{GeoKey(shard)}:seen";

    /// <summary>The hash of a shard's drivers' exact positions.</summary>
    public string PositionsKey(string shard) => $"{GeoKey(shard)}:at";

    public async Task<IReadOnlyList<GeoCandidate>> LoadAsync(string shard, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(shard);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        RedisValue[] arguments = [now, now - _timeToLiveMs, _timeToLiveMs];
        var result = await RunAsync(shard, "load", db => EvaluateAsync(db, GeoIndexScripts.Load, Keys(shard), arguments), cancellationToken)
            .ConfigureAwait(false);
        var fields = (RedisResult[])result!;
        var entries = new GeoCandidate[fields.Length / 2];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = ParseEntry(shard, (string)fields[2 * i]!, (string)fields[(2 * i) + 1]!);
        }
        return entries;
    }

    public async Task<bool> WriteAsync(string shard, IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(shard);
        ArgumentNullException.ThrowIfNull(upserts);
        ArgumentNullException.ThrowIfNull(removals);
        var arguments = WriteArguments(upserts, removals, _time.GetUtcNow().ToUnixTimeMilliseconds());
        var result = (RedisResult[])(await RunAsync(shard, "write", db => EvaluateAsync(db, GeoIndexScripts.Write, Keys(shard), arguments), cancellationToken)
            .ConfigureAwait(false))!;
        var swept = (long)result[1];
        if (swept > 0)
        {
            LogSwept(swept, shard);
        }
        return (long)result[0] == 1;
    }

    private RedisValue[] WriteArguments(IReadOnlyCollection<GeoCandidate> upserts, IReadOnlyCollection<string> removals, long now)
    {
        var inGeo = 0;
        foreach (var candidate in upserts)
        {
            ArgumentException.ThrowIfNullOrEmpty(candidate.Id, nameof(upserts));
            if (FitsGeoSet(candidate.Location))
            {
                inGeo++;
            }
        }
        var outOfGeo = upserts.Count - inGeo;
        var arguments = new RedisValue[Header + (4 * upserts.Count) + (3 * inGeo) + outOfGeo + removals.Count];
        arguments[0] = now;
        arguments[1] = now - _timeToLiveMs;
        arguments[2] = _timeToLiveMs;
        arguments[3] = _options.SweepLimit;
        arguments[4] = upserts.Count;
        arguments[5] = inGeo;
        arguments[6] = outOfGeo;
        arguments[7] = removals.Count;
        var seen = Header;
        var positions = seen + (2 * upserts.Count);
        var geo = positions + (2 * upserts.Count);
        var geoRemovals = geo + (3 * inGeo);
        var removed = geoRemovals + outOfGeo;
        foreach (var candidate in upserts)
        {
            RedisValue id = candidate.Id;
            arguments[seen++] = candidate.LastSeen.ToUnixTimeMilliseconds();
            arguments[seen++] = id;
            arguments[positions++] = id;
            arguments[positions++] = FormatEntry(candidate);
            if (FitsGeoSet(candidate.Location))
            {
                arguments[geo++] = candidate.Location.Longitude;
                arguments[geo++] = candidate.Location.Latitude;
                arguments[geo++] = id;
            }
            else
            {
                arguments[geoRemovals++] = id;
            }
        }
        foreach (var id in removals)
        {
            ArgumentException.ThrowIfNullOrEmpty(id, nameof(removals));
            arguments[removed++] = id;
        }
        return arguments;
    }

    private RedisKey[] Keys(string shard) => [GeoKey(shard), SeenKey(shard), PositionsKey(shard)];

    private static bool FitsGeoSet(GeoPoint location) => Math.Abs(location.Latitude) <= MaxGeoLatitude;

    // ---- Position encoding: "lat,lon,utcTicks", shortest round-trip doubles so a rebuilt shard is exact --------------

    internal static string FormatEntry(GeoCandidate candidate) => string.Create(CultureInfo.InvariantCulture,
        $"{candidate.Location.Latitude:R},{candidate.Location.Longitude:R},{candidate.LastSeen.UtcTicks}");

    private GeoCandidate ParseEntry(string shard, string id, string value)
    {
        var parts = value.Split(',');
        if (parts.Length == 3
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var latitude)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var longitude)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && GeoPoint.TryCreate(latitude, longitude, out var location)
            && ticks is >= 0 and <= 3_155_378_975_999_999_999)
        {
            return new GeoCandidate(id, location, new DateTimeOffset(ticks, TimeSpan.Zero));
        }
        throw new InvalidDataException(
            $"The geo index entry '{id}' in {PositionsKey(shard)} at {_where} is '{value}', not 'latitude,longitude,utcTicks'.");
    }

    // ---- Connection and failures ----------------------------------------------------------------------------------

    private async Task<RedisResult> EvaluateAsync(IDatabase database, string script, RedisKey[] keys, RedisValue[] arguments)
    {
        try
        {
            return await database.ScriptEvaluateAsync(script, keys, arguments).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The server lost its script cache (a restart, SCRIPT FLUSH) while the library still sends EVALSHA.
            // NOSCRIPT means the script did not run: load it again and retry once.
            await database.ExecuteAsync("SCRIPT", "LOAD", script).ConfigureAwait(false);
            return await database.ScriptEvaluateAsync(script, keys, arguments).ConfigureAwait(false);
        }
    }

    private async Task<T> RunAsync<T>(string shard, string operation, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken)
    {
        Task<T>? pending = null;
        try
        {
            var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
            pending = command(database);
            return await pending.WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsUnavailable(exception))
        {
            Observe(pending);
            throw new GeoIndexStoreUnavailableException(
                $"The geo index store at {_where} is unavailable: {operation} of shard '{shard}' failed ({exception.GetType().Name}: {exception.Message}).",
                shard, exception);
        }
        catch (OperationCanceledException)
        {
            Observe(pending);
            throw;
        }
    }

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
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
        var redis = await connecting.WaitAsync(_options.ConnectTimeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        return redis.GetDatabase();
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(_configuration!).ConfigureAwait(false);
        if (!redis.IsConnected)
        {
            LogNotConnectedAtStart(_where);
        }
        return redis;
    }

    private static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException or SocketException or ObjectDisposedException => true,
        // Redis is up but cannot serve yet (restarting with a dataset, a script stuck, a replica without its primary).
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal),
        _ => false,
    };

    private static void Observe(Task? task) =>
        task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private static int Milliseconds(TimeSpan time) => (int)Math.Clamp(time.TotalMilliseconds, 1, int.MaxValue);

    [LoggerMessage(1, LogLevel.Warning, "The geo index store at {Where} could not connect at start; retrying in the background")]
    private partial void LogNotConnectedAtStart(string where);

    [LoggerMessage(2, LogLevel.Debug, "Swept {Count} stale entries from geo index shard {Shard}")]
    private partial void LogSwept(long count, string shard);

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
        // Close our own connection once it exists. Not Dispose(): in 1.2.6 it waits a full SyncTimeout before returning.
        connecting?.ContinueWith(static t => t.Result.Close(allowCommandsToComplete: false), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
