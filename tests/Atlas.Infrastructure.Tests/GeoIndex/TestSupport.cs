using System.Diagnostics;

namespace Atlas.Infrastructure.Tests.GeoIndex;

/// <summary>The tests that use the test Redis run one at a time: outage tests stop and restart it.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection
{
    public const string Name = "redis";
}

/// <summary>A clock that moves only when told to.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
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
