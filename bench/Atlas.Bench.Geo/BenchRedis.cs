using System.Diagnostics;
using Atlas.Grains.Geo.Index;
using StackExchange.Redis;

namespace Atlas.Bench.Geo;

/// <summary>The Redis the benchmarks run against, and waiting on it.</summary>
internal static class BenchRedis
{
    /// <summary>The Redis of <c>ATLAS_TEST_REDIS</c> (what <c>bash scripts/services.sh env</c> exports).</summary>
    public static string FromEnvironment() =>
        Environment.GetEnvironmentVariable("ATLAS_TEST_REDIS") is { Length: > 0 } redis
            ? redis
            : throw new InvalidOperationException(
                "No Redis: pass --redis host:port, or run `bash scripts/services.sh start` and `eval \"$(bash scripts/services.sh env)\"` to set ATLAS_TEST_REDIS.");

    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = true;
        options.SyncTimeout = 30_000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>How many drivers the shards' seen sets in Redis hold that were last seen at or after <paramref name="since"/>.</summary>
    public static async Task<long> CountSeenAsync(EmbeddedSilo silo, IEnumerable<string> shards, DateTimeOffset since)
    {
        var db = silo.Redis.GetDatabase();
        var min = since.ToUnixTimeMilliseconds();
        var counts = shards.Select(shard => db.SortedSetLengthAsync(silo.Store.SeenKey(shard), min)).ToArray();
        return (await Task.WhenAll(counts)).Sum();
    }

    /// <summary>Polls <paramref name="condition"/> every 5 ms until it holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            }
            await Task.Delay(5);
        }
    }
}
