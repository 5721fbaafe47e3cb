using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>A silo host process (<c>dotnet Atlas.Silo.dll</c>) of a test cluster, with its output kept for diagnostics.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SiloProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Output => _output.ToArray();

    public static SiloProcess Start(string clusterId, int port, IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new ProcessStartInfo("dotnet", [TestEnvironment.SiloAssembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(TestEnvironment.SiloAssembly)!,
        };
        start.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        start.Environment["ConnectionStrings__Postgres"] = TestEnvironment.Postgres;
        start.Environment["Atlas__ClusterId"] = clusterId;
        start.Environment["Atlas__Silo__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Atlas__Silo__ListenAddress"] = "127.0.0.1";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, port);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 2_000 && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>Waits until the silo logged that it is active.</summary>
    public async Task WaitUntilActiveAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!_output.Any(line => line.Contains($":{Port}@", StringComparison.Ordinal) && line.Contains(" active", StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo on port {Port} exited ({_process.ExitCode}):\n{string.Join("\n", _output.TakeLast(40))}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Silo on port {Port} did not become active:\n{string.Join("\n", _output.TakeLast(40))}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>kill -9: the process dies at once, without a word to anyone.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM: the silo leaves the cluster gracefully; waits for it to exit.</summary>
    public async Task TerminateAsync(TimeSpan? timeout = null)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            if (kill.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -TERM {_process.Id} failed.");
            }
        }
        using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(wait.Token);
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(wait.Token);
    }

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
