using StackExchange.Redis;

namespace Atlas.Testing.Servers;

/// <summary>The test Redis (<c>ATLAS_TEST_REDIS</c>): connections to it, and stopping and starting it for outage tests.</summary>
/// <remarks>
/// The test Redis keeps no data, so after <see cref="StartAsync"/> or <see cref="RestartAsync"/> it is empty. Tests that
/// stop it must run alone (an xUnit collection with <c>DisableParallelization = true</c>): every other test uses it too.
/// </remarks>
public static class TestRedisServer
{
    private static readonly Lazy<Task<ConnectionMultiplexer>> Shared = new(ConnectAsync);

    /// <summary>The StackExchange.Redis configuration string.</summary>
    public static string ConnectionString => TestServices.Required("ATLAS_TEST_REDIS");

    public static int Port => TestServices.RequiredPort("ATLAS_TEST_REDIS_PORT");

    /// <summary>One connection for the tests of an assembly (as a process shares one); usable again as soon as a restart returns.</summary>
    public static Task<ConnectionMultiplexer> SharedAsync() => Shared.Value;

    /// <summary>A connection of its own that survives outages: calls fail while Redis is down, and it reconnects within a quarter second of its return.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(ConnectionString);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 2_000;
        configuration.SyncTimeout = 5_000;
        configuration.ReconnectRetryPolicy = new LinearRetry(250);
        return await ConnectionMultiplexer.ConnectAsync(configuration);
    }

    /// <summary>Stops Redis and waits until its port is closed.</summary>
    public static async Task StopAsync()
    {
        await TestServices.RunScriptAsync("stop-redis");
        await TestServices.WaitForPortAsync(Port, open: false);
    }

    /// <summary>Starts Redis (empty) and waits until it answers, also on the shared connection.</summary>
    public static Task StartAsync() => BringUpAsync("start-redis");

    /// <summary>Stops and starts Redis: every key, stream and group is gone after.</summary>
    public static Task RestartAsync() => BringUpAsync("restart-redis");

    private static async Task BringUpAsync(string command)
    {
        await TestServices.RunScriptAsync(command);
        await TestServices.WaitForPortAsync(Port, open: true);
        if (Shared.IsValueCreated)
        {
            // The shared connection reconnects in the background: a test that reads through it right after must not see it down.
            var redis = await Shared.Value;
            await TestServices.UntilAsync(async () =>
            {
                await redis.GetDatabase().PingAsync();
                return true;
            }, "the shared Redis connection to reconnect", TimeSpan.FromSeconds(30));
        }
    }
}
