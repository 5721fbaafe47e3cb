using System.Diagnostics;
using System.Net.Sockets;

namespace Atlas.Testing.Servers;

/// <summary>
/// What <c>bash scripts/test.sh</c> provides to every test project: the <c>ATLAS_TEST_*</c> variables, the repository
/// the tests were built from, and <c>scripts/services.sh</c> to stop and start the servers for outage tests.
/// </summary>
public static class TestServices
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PortTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The repository root (the folder holding <c>Atlas.sln</c>) above the test assembly.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The value of an <c>ATLAS_TEST_*</c> variable; a clear error saying how to get it when it is missing.</summary>
    public static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. These tests need the project's PostgreSQL and Redis: run them with `bash scripts/test.sh`, " +
                "which starts both and exports ATLAS_TEST_* (or, while developing: bash scripts/services.sh start && eval \"$(bash scripts/services.sh env)\").");

    /// <summary>An <c>ATLAS_TEST_*</c> variable holding a port number.</summary>
    public static int RequiredPort(string name) => int.Parse(Required(name), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs <c>scripts/services.sh <paramref name="command"/></c> (e.g. <c>stop-redis</c>) and fails with its output if it fails.</summary>
    public static async Task RunScriptAsync(string command)
    {
        var script = Path.Combine(RepositoryRoot, "scripts", "services.sh");
        // Output goes to a file, not a pipe: a server the command starts would otherwise hold the pipe open.
        var output = Path.GetTempFileName();
        try
        {
            using var process = Process.Start(new ProcessStartInfo("bash", ["-c", $"bash {Quote(script)} {command} > {Quote(output)} 2>&1"]))!;
            using var timeout = new CancellationTokenSource(ScriptTimeout);
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
    }

    /// <summary>Waits until <paramref name="port"/> on 127.0.0.1 accepts connections (<paramref name="open"/>) or refuses them.</summary>
    public static async Task WaitForPortAsync(int port, bool open)
    {
        var clock = Stopwatch.StartNew();
        while (IsOpen(port) != open)
        {
            if (clock.Elapsed > PortTimeout)
            {
                throw new TimeoutException($"Port {port} did not {(open ? "open" : "close")} within {PortTimeout.TotalSeconds:0} s.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Polls <paramref name="condition"/> (exceptions count as "not yet") until it holds, or fails naming <paramref name="what"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
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
                last = exception;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.{(last is null ? "" : $" Last error: {last.Message}")}", last);
    }

    private static bool IsOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string FindRoot()
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

    private static string Quote(string value) => $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
