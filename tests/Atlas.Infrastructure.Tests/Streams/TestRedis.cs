using System.Diagnostics;
using System.Net.Sockets;
using Atlas.Infrastructure.Streams;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>
/// The Redis server the project's test command starts (<c>bash scripts/test.sh</c>), reached through its environment
/// variables, and the means to take it down and bring it back for outage tests.
/// </summary>
internal static class TestRedis
{
    private static readonly Lazy<Task<ConnectionMultiplexer>> Shared = new(ConnectAsync);

    /// <summary>The StackExchange.Redis configuration string from <c>ATLAS_TEST_REDIS</c>.</summary>
    public static string ConnectionString => Required("ATLAS_TEST_REDIS");

    /// <summary>One connection for the tests' own reads and writes (as a process would share one).</summary>
    public static async Task<IDatabase> DatabaseAsync() => (await Shared.Value).GetDatabase();

    /// <summary>A key prefix no other test uses, so that tests run in parallel on one Redis.</summary>
    public static string NewPrefix(string purpose) => $"atlas:test:{purpose}:{Guid.NewGuid():N}:";

    /// <summary>Stream options under a prefix of their own, with fast flushes and short timeouts for tests.</summary>
    public static RideStreamOptions Options(string prefix, int partitions = 4) => new()
    {
        KeyPrefix = prefix,
        RidePartitions = partitions,
        LocationPartitions = partitions,
        OperationTimeout = TimeSpan.FromSeconds(3),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        LocationFlushInterval = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>A stream connection of its own (closed when disposed), as a process that has no shared multiplexer gets.</summary>
    public static RedisStreamConnection Connection(RideStreamOptions options) => new(ConnectionString, options);

    /// <summary>Entries of <paramref name="stream"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<StreamEntry>> RangeAsync(string stream)
    {
        var result = await (await DatabaseAsync()).ExecuteAsync("XRANGE", (RedisKey)stream, "-", "+");
        var entries = new List<StreamEntry>();
        foreach (var item in (RedisResult[])result!)
        {
            var parts = (RedisResult[])item!;
            var values = (RedisResult[])parts[1]!;
            var fields = new List<KeyValuePair<string, string>>();
            for (var i = 0; i < values.Length; i += 2)
            {
                fields.Add(new((string)values[i]!, (string)values[i + 1]!));
            }
            entries.Add(new StreamEntry(stream, (string)parts[0]!, fields));
        }
        return entries;
    }

    public static async Task<long> LengthAsync(string stream) => (long)await (await DatabaseAsync()).ExecuteAsync("XLEN", (RedisKey)stream);

    /// <summary>Entries of <paramref name="stream"/> read by <paramref name="group"/> and not acknowledged.</summary>
    public static async Task<long> PendingAsync(string stream, string group)
    {
        var summary = (RedisResult[])(await (await DatabaseAsync()).ExecuteAsync("XPENDING", (RedisKey)stream, group))!;
        return (long)summary[0];
    }

    /// <summary>Appends raw fields to a stream (as a buggy or foreign producer would).</summary>
    public static async Task<string> AddRawAsync(string stream, params string[] fieldsAndValues) =>
        (string)(await (await DatabaseAsync()).ExecuteAsync("XADD", [(RedisKey)stream, "*", .. fieldsAndValues]))!;

    public static Task StopAsync() => ServicesAsync("stop-redis", open: false);

    public static Task StartAsync() => ServicesAsync("start-redis", open: true);

    /// <summary>Stops and starts Redis: it has no persistence in tests, so every stream and group is gone after.</summary>
    public static Task RestartAsync() => ServicesAsync("restart-redis", open: true);

    private static int Port => int.Parse(Required("ATLAS_TEST_REDIS_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    public static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. These tests need the project's Redis server: run bash scripts/test.sh, " +
                "which starts it and exports ATLAS_TEST_REDIS (or, while developing: bash scripts/services.sh start && eval \"$(bash scripts/services.sh env)\").");

    private static async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(ConnectionString);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 2_000;
        configuration.SyncTimeout = 5_000;
        configuration.ReconnectRetryPolicy = new LinearRetry(250);
        return await ConnectionMultiplexer.ConnectAsync(configuration);
    }

    private static async Task ServicesAsync(string command, bool open)
    {
        var port = Port;
        var script = Environment.GetEnvironmentVariable("ATLAS_SERVICES_SCRIPT") is { Length: > 0 } fromEnvironment && File.Exists(fromEnvironment)
            ? fromEnvironment
            : Path.Combine(RepositoryRoot(), "scripts", "services.sh");
        var output = Path.GetTempFileName();
        try
        {
            // Output goes to a file, not a pipe: a server started by the command would otherwise hold the pipe open.
            using var process = Process.Start(new ProcessStartInfo("bash", ["-c", $"bash '{script}' {command} > '{output}' 2>&1"]))!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"`services.sh {command}` exited with {process.ExitCode}: {await File.ReadAllTextAsync(output)}");
            }
        }
        finally
        {
            File.Delete(output);
        }
        await WaitForPortAsync(port, open);
        if (open && Shared.IsValueCreated)
        {
            // The tests' own connection reconnects in the background: wait for it, so that the test's reads work.
            var redis = await Shared.Value;
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    await redis.GetDatabase().PingAsync();
                    return true;
                }
                catch (RedisConnectionException)
                {
                    return false;
                }
            }, "the tests' Redis connection to reconnect");
        }
    }

    private static async Task WaitForPortAsync(int port, bool open)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            bool isOpen;
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                isOpen = true;
            }
            catch (SocketException)
            {
                isOpen = false;
            }
            if (isOpen == open)
            {
                return;
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Redis port {port} did not {(open ? "open" : "close")} within 30 s.");
            }
            await Task.Delay(50);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Atlas.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} contains Atlas.sln.");
    }
}
