namespace Atlas.Actors.Redis;

/// <summary>
/// The Lua scripts behind every membership write. Each runs atomically in Redis, so the check (table version, row
/// existence, row ETag) and the write cannot be interleaved with another writer's.
/// </summary>
/// <remarks>
/// The table is one hash (see <see cref="RedisMembershipTable"/>): <c>version</c>, <c>silo:{address}</c> holding
/// <c>{"etag":…,"entry":{…}}</c>, and <c>alive:{address}</c> holding the ISO-8601 UTC IAmAlive time. A missing
/// <c>version</c> field reads as 0, so a table that vanished with a Redis restart starts over instead of refusing writes.
/// </remarks>
internal static class MembershipScripts
{
    /// <summary>KEYS[1] table; ARGV: new version, row field, row value, alive field, alive value. Returns 1 if written.</summary>
    public const string Insert = """
        local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
        if tonumber(ARGV[1]) ~= stored + 1 then return 0 end
        if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'version', ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
        return 1
        """;

    /// <summary>As <see cref="Insert"/>, plus ARGV[6] the row ETag the writer read. Returns 1 if written.</summary>
    public const string Update = """
        local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
        if tonumber(ARGV[1]) ~= stored + 1 then return 0 end
        local current = redis.call('HGET', KEYS[1], ARGV[2])
        if not current or cjson.decode(current).etag ~= ARGV[6] then return 0 end
        redis.call('HSET', KEYS[1], 'version', ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
        return 1
        """;

    /// <summary>KEYS[1] table; ARGV: row field, alive field, alive value. Touches nothing else; returns 1 if the row exists.</summary>
    public const string IAmAlive = """
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        return 1
        """;

    /// <summary>
    /// KEYS[1] table; ARGV: cutoff (ISO-8601 UTC, fixed width, so string order is time order), dead status name, row
    /// prefix, alive prefix. Deletes dead rows whose IAmAlive is before the cutoff; returns how many.
    /// </summary>
    public const string Cleanup = """
        local fields = redis.call('HGETALL', KEYS[1])
        local removed = 0
        for i = 1, #fields, 2 do
          local field = fields[i]
          if string.sub(field, 1, #ARGV[3]) == ARGV[3] then
            local aliveField = ARGV[4] .. string.sub(field, #ARGV[3] + 1)
            local alive = redis.call('HGET', KEYS[1], aliveField)
            if alive and alive < ARGV[1] and cjson.decode(fields[i + 1]).entry.status == ARGV[2] then
              redis.call('HDEL', KEYS[1], field, aliveField)
              removed = removed + 1
            end
          end
        end
        return removed
        """;
}
