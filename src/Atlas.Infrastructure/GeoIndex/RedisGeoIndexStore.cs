using System.Globalization;
using Atlas.Infrastructure.Redis;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Atlas.Infrastructure.GeoIndex;

/// <summary>
/// The geo index store on Redis: three keys per shard, written together by one Lua script per batch
/// (<see cref="GeoIndexScripts"/>), so a batch is one round trip and the keys never disagree. Lua rather than
/// StackExchange.Redis' typed commands in a MULTI: a write and a load first read which entries are stale
/// (ZRANGEBYSCORE), then remove exactly those from all three keys and set the expiry from the freshest entry left — a
/// read-then-write that a transaction could only do with WATCH and retries, in two round trips or more:
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
    private readonly RedisConnection _connection;
    private readonly string _where;

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
        const string component = "geo index store";
        _connection = shared is not null
            ? new RedisConnection(shared, options.OperationTimeout, component, _logger)
            : new RedisConnection(options.ConnectionString, options.ConnectTimeout, options.OperationTimeout, component, _logger);
        _where = _connection.Where;
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

    /// <summary>
    /// Runs a script by its SHA1 (<c>EVALSHA</c>; StackExchange.Redis loads it once per server). If the server lost its
    /// script cache (a restart, <c>SCRIPT FLUSH</c>) the library gets NOSCRIPT, which means the script did not run, and
    /// sends it again itself.
    /// </summary>
    private static Task<RedisResult> EvaluateAsync(IDatabase database, string script, RedisKey[] keys, RedisValue[] arguments) =>
        database.ScriptEvaluateAsync(script, keys, arguments);

    private Task<T> RunAsync<T>(string shard, string operation, Func<IDatabase, Task<T>> command, CancellationToken cancellationToken) =>
        _connection.RunAsync(command, cause => new GeoIndexStoreUnavailableException(
            $"The geo index store at {_where} is unavailable: {operation} of shard '{shard}' failed ({cause.GetType().Name}: {cause.Message}).",
            shard, cause), cancellationToken);

    // Event ids 1-3 are the connection's (RedisConnection logs with this store's logger).
    [LoggerMessage(4, LogLevel.Debug, "Swept {Count} stale entries from geo index shard {Shard}")]
    private partial void LogSwept(long count, string shard);

    /// <summary>Closes the store's own connection (a shared one stays open).</summary>
    public void Dispose() => _connection.Dispose();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
