using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>
/// A silo host process (<c>dotnet Atlas.Silo.dll</c>) of a test cluster, configured as an operator would (environment
/// variables), with its JSON log kept for assertions and diagnostics, and the signals an operator or a crash sends it.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _active = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, string clusterId, int port, int gatewayPort)
    {
        _process = process;
        ClusterId = clusterId;
        Port = port;
        GatewayPort = gatewayPort;
    }

    public string ClusterId { get; }

    /// <summary>The silo-to-silo port.</summary>
    public int Port { get; }

    /// <summary>The port clients connect to.</summary>
    public int GatewayPort { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The silo's address as Orleans prints it (<c>S127.0.0.1:port:generation</c>), known once it is active.</summary>
    public string? SiloAddress => _active.Task.IsCompletedSuccessfully ? _active.Task.Result : null;

    /// <summary>Every line the process wrote (JSON log lines, and anything on standard error), oldest first.</summary>
    public IReadOnlyList<string> Output => _output.ToArray();

    /// <summary>Starts a silo of <paramref name="clusterId"/>; <paramref name="settings"/> are extra environment variables.</summary>
    public static SiloProcess Start(string clusterId, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var gatewayPort = FreePort();
        var start = new ProcessStartInfo("dotnet", [TestEnvironment.SiloAssembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(TestEnvironment.SiloAssembly)!,
        };
        start.Environment["ConnectionStrings__Redis"] = TestEnvironment.Redis;
        start.Environment["ConnectionStrings__Postgres"] = TestEnvironment.Postgres;
        start.Environment["Atlas__ClusterId"] = clusterId;
        start.Environment["Atlas__Silo__Port"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["Atlas__Silo__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Atlas__Silo__ListenAddress"] = "127.0.0.1";
        // Several silos, the API and the tests share two cores: workstation GC keeps each process small.
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, clusterId, port, gatewayPort);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.Exited += (_, _) => silo._active.TrySetException(new InvalidOperationException(silo.Describe("exited before it was active")));
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
        while (_output.Count > 5_000 && _output.TryDequeue(out _))
        {
        }
        if (!_active.Task.IsCompleted && MessageOf(line) is { } message && message.Contains(" is active;", StringComparison.Ordinal))
        {
            _active.TrySetResult(message[(message.IndexOf("Silo ", StringComparison.Ordinal) + 5)..message.IndexOf(" of cluster", StringComparison.Ordinal)]);
        }
    }

    /// <summary>The <c>Message</c> of a JSON log line; null for other lines.</summary>
    public static string? MessageOf(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.TryGetProperty("Message", out var message) ? message.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The messages of the JSON log lines, oldest first.</summary>
    public IEnumerable<string> Messages => Output.Select(MessageOf).OfType<string>();

    /// <summary>Waits until the silo logged that it is active (it has joined the cluster and serves).</summary>
    public async Task WaitUntilActiveAsync(TimeSpan? timeout = null)
    {
        try
        {
            await _active.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(Describe("did not become active"));
        }
    }

    /// <summary>Whether <paramref name="siloAddress"/> (as grains report it, <c>S127.0.0.1:port:generation</c>) is this silo.</summary>
    public bool Is(string siloAddress) => siloAddress.Contains($":{Port}:", StringComparison.Ordinal);

    /// <summary>kill -9: the process dies at once, without a word to anyone; returns once it is gone.</summary>
    public async Task KillAsync()
    {
        Signal(SigKill);
        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGSTOP: the process hangs — its sockets stay open and accept, nothing answers (a frozen VM, a partition).</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>SIGCONT: a paused process runs again.</summary>
    public void Resume() => Signal(SigCont);

    /// <summary>SIGTERM: the silo leaves the cluster gracefully; returns once it has exited.</summary>
    public async Task TerminateAsync(TimeSpan? timeout = null)
    {
        Signal(SigTerm);
        await WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(Describe($"did not exit within {timeout.TotalSeconds:0} s"));
        }
    }

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>The silo and the end of its output, for failure messages.</summary>
    public string Describe(string what) =>
        $"Silo on port {Port} (pid {_process.Id}) {what}. Its last output:\n{string.Join("\n", Output.TakeLast(30).Select(l => MessageOf(l) ?? l))}";

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
            // A paused process dies of SIGKILL too; nothing a test left behind outlives it.
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
