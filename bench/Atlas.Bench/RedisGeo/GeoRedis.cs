using System.Diagnostics;
using StackExchange.Redis;

namespace Atlas.Bench.RedisGeo;

/// <summary>The connection the geo scenarios (index and baseline alike) use, and waiting on Redis.</summary>
internal static class GeoRedis
{
    /// <summary>Connects to <paramref name="configuration"/> (e.g. <see cref="Harness.BenchServices.Redis"/>), failing at once if it does not answer.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = true;
        options.SyncTimeout = 30_000;
        return await ConnectionMultiplexer.ConnectAsync(options);
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
