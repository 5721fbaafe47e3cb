using System.Diagnostics;

namespace Atlas.Infrastructure.Tests.GeoIndex;

/// <summary>
/// The geo index tests on the test Redis share one collection and its cluster: they run one at a time, so that a test
/// counting the server's script calls sees only its own, and a cluster's shards do not compete with them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<GeoIndexCluster>
{
    public const string Name = "redis";
}

/// <summary>Stopping Redis would break tests running beside these, so they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GeoIndexOutageCollection : ICollectionFixture<GeoIndexOutageCluster>
{
    public const string Name = "geo-index-redis-outage";
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/> (default 20 s).</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < limit)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
                last = null;
            }
            catch (Exception exception)
            {
                last = exception; // e.g. Redis still reconnecting
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}.{(last is null ? "" : $" Last error: {last.Message}")}", last);
    }
}

internal static class GeoTestKeys
{
    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix(string purpose) => $"atlas:test:{purpose}:{Guid.NewGuid():N}:geo:";
}
