using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Atlas.Bench.Children;

/// <summary>
/// A child process of the bench (<c>dotnet Atlas.Bench.dll &lt;sub-command&gt; …</c>), seen from the parent: started,
/// ready once it prints <see cref="ReadyLine"/>, measured by its CPU time, and stopped by closing its standard input
/// (which also happens if the parent dies, so no child outlives a run).
/// </summary>
public sealed class BenchChild : IAsyncDisposable
{
    /// <summary>What a child prints on its standard output once it serves.</summary>
    public const string ReadyLine = "ready";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BenchChild(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts <c>dotnet &lt;this bench assembly&gt; <paramref name="arguments"/></c>.</summary>
    public static BenchChild Start(string name, params string[] arguments)
    {
        var assembly = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(assembly))
        {
            throw new InvalidOperationException("The bench assembly's path is unknown: child processes cannot be started.");
        }
        var start = new ProcessStartInfo("dotnet", [assembly, .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new BenchChild(name, process);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child._ready.TrySetException(new InvalidOperationException(
            $"Child {name} exited before it was ready:\n{child.Tail()}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (line == ReadyLine)
        {
            _ready.TrySetResult();
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>Waits until the child said it serves; throws with its last output if it exits or takes too long.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        try
        {
            await _ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Child {Name} was not ready within {timeout.TotalSeconds:0} s:\n{Tail()}");
        }
    }

    /// <summary>CPU time (user + system) the child has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The child's last lines of output (for error messages).</summary>
    public string Tail() => string.Join("\n", _output.TakeLast(30));

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Asks the child to stop (closes its standard input), then kills it if it has not exited in time.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
