using System.Diagnostics;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.GeoIndex;

/// <summary>
/// The Redis the tests run against, as started by <c>bash scripts/test.sh</c> (which exports <c>ATLAS_TEST_REDIS*</c>),
/// and the means to take it down and bring it back for outage tests.
/// </summary>
internal static class RedisTestServer
{
    private static readonly Lazy<Task<ConnectionMultiplexer>> SharedConnection = new(() => ConnectAsync());

    /// <summary>The StackExchange.Redis configuration string of the test Redis.</summary>
    public static string ConnectionString => Require("ATLAS_TEST_REDIS");

    /// <summary>One connection shared by the tests of this assembly (as a process would share it).</summary>
    public static Task<ConnectionMultiplexer> SharedConnectionAsync() => SharedConnection.Value;

    /// <summary>A connection that survives outages: calls fail while Redis is down, and it reconnects when Redis is back.</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(ConnectionString);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 2_000;
        configuration.SyncTimeout = 2_000;
        configuration.ReconnectRetryPolicy = new LinearRetry(250);
        return ConnectionMultiplexer.ConnectAsync(configuration);
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix(string purpose) => $"atlas:test:{purpose}:{Guid.NewGuid():N}:geo:";

    /// <summary>Stops Redis (data is not kept) and waits until its port is closed.</summary>
    public static async Task StopAsync()
    {
        var port = Port;
        if (ServicesScript() is { } script)
        {
            await RunAsync("bash", script, "stop-redis");
        }
        else
        {
            // Exit code ignored: redis-cli may report the connection it loses as the server exits.
            await RunAsync("redis-cli", checkExitCode: false, "-p", port.ToString(), "shutdown", "nosave");
        }
        await WaitForPortAsync(port, open: false);
    }

    /// <summary>Starts Redis again (empty) and waits until its port accepts connections.</summary>
    public static async Task StartAsync()
    {
        var port = Port;
        if (ServicesScript() is { } script)
        {
            await RunAsync("bash", script, "start-redis");
        }
        else
        {
            await RunAsync(Require("ATLAS_TEST_REDIS_SERVER"), "--port", port.ToString(), "--save", "", "--daemonize", "yes");
        }
        await WaitForPortAsync(port, open: true);
    }

    private static int Port => int.Parse(Require("ATLAS_TEST_REDIS_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set. Run the tests with `bash scripts/test.sh`, which starts Redis and PostgreSQL and exports ATLAS_TEST_*.");

    /// <summary><c>scripts/services.sh</c> of the repository the tests were built from, if it has one.</summary>
    private static string? ServicesScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Atlas.sln")))
            {
                var script = Path.Combine(dir.FullName, "scripts", "services.sh");
                return File.Exists(script) ? script : null;
            }
        }
        return null;
    }

    private static Task RunAsync(string program, params string[] arguments) => RunAsync(program, checkExitCode: true, arguments);

    private static async Task RunAsync(string program, bool checkExitCode, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (checkExitCode && process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{program} {string.Join(' ', arguments)}` exited with {process.ExitCode}: {await output}{await error}");
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
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"Redis port {port} did not {(open ? "open" : "close")} within 20 s.");
            }
            await Task.Delay(50);
        }
    }
}
