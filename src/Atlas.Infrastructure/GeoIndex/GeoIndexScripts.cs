namespace Atlas.Infrastructure.GeoIndex;

/// <summary>
/// The Lua scripts of <see cref="RedisGeoIndexStore"/>. Each runs atomically in one round trip, so a shard's three keys
/// never disagree. KEYS are always: [1] the GEO set, [2] the last-seen sorted set, [3] the positions hash.
/// </summary>
internal static class GeoIndexScripts
{
    /// <summary>
    /// Removes entries last seen before the cutoff from all three keys, at most <c>limit</c> of them (-1: all), then sets
    /// the keys to expire when their freshest entry goes stale, so a shard that is never written or loaded again
    /// disappears by itself. Deletes the keys when nothing is left. Returns how many entries it removed.
    /// </summary>
    private const string Sweep = """
        local function in_slices(command, key, values, first, count)
          -- unpack() is limited to a few thousand values: long lists go in slices (6000 is a multiple of 2 and 3).
          local last = first + count - 1
          while first <= last do
            local upto = math.min(first + 5999, last)
            redis.call(command, key, unpack(values, first, upto))
            first = upto + 1
          end
        end

        local function sweep(now, cutoff, ttl, limit)
          local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. cutoff, 'LIMIT', 0, limit)
          if #stale > 0 then
            in_slices('ZREM', KEYS[1], stale, 1, #stale)
            in_slices('ZREM', KEYS[2], stale, 1, #stale)
            in_slices('HDEL', KEYS[3], stale, 1, #stale)
          end
          local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
          if #newest == 0 then
            redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
          else
            local expire = math.max(1, math.ceil(tonumber(newest[2]) - now + ttl))
            redis.call('PEXPIRE', KEYS[1], expire)
            redis.call('PEXPIRE', KEYS[2], expire)
            redis.call('PEXPIRE', KEYS[3], expire)
          end
          return #stale
        end

        """;

    /// <summary>
    /// ARGV: [1] now (unix ms), [2] stale cutoff (unix ms), [3] time to live (ms), [4] sweep limit,
    /// [5] u upserts, [6] g GEO entries, [7] x GEO-only removals, [8] r removals, then
    /// u (last-seen, id) pairs, u (id, position) pairs, g (lon, lat, id) triples, x ids, r ids.
    /// The caller leaves out of the GEO set the upserts Redis GEO cannot hold (|lat| &gt; 85.05112878°) and lists them as
    /// GEO-only removals, so an earlier position of theirs does not linger there. Returns { whether the shard existed
    /// before (1/0), the number of stale entries swept }.
    /// </summary>
    public const string Write = Sweep + """
        local existed = redis.call('EXISTS', KEYS[2])
        local u, g, x, r = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
        local i = 9
        if u > 0 then
          in_slices('ZADD', KEYS[2], ARGV, i, 2 * u)
          i = i + 2 * u
          in_slices('HSET', KEYS[3], ARGV, i, 2 * u)
          i = i + 2 * u
        end
        if g > 0 then
          in_slices('GEOADD', KEYS[1], ARGV, i, 3 * g)
          i = i + 3 * g
        end
        if x > 0 then
          in_slices('ZREM', KEYS[1], ARGV, i, x)
          i = i + x
        end
        if r > 0 then
          in_slices('ZREM', KEYS[1], ARGV, i, r)
          in_slices('ZREM', KEYS[2], ARGV, i, r)
          in_slices('HDEL', KEYS[3], ARGV, i, r)
        end
        return { existed, sweep(tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])) }
        """;

    /// <summary>ARGV: [1] now (unix ms), [2] stale cutoff (unix ms), [3] time to live (ms). Sweeps all stale entries, then returns the positions hash (HGETALL).</summary>
    public const string Load = Sweep + """
        sweep(tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), -1)
        return redis.call('HGETALL', KEYS[3])
        """;
}
