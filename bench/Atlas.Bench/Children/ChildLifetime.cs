using System.Runtime.InteropServices;

namespace Atlas.Bench.Children;

/// <summary>
/// The child side of <see cref="BenchChild"/>: a token that is cancelled when the parent closes our standard input
/// (or dies), or on SIGTERM / SIGINT.
/// </summary>
public sealed class ChildLifetime : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<PosixSignalRegistration> _signals = [];

    public ChildLifetime()
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
        {
            _signals.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true; // we stop in order ourselves
                _stopping.Cancel();
            }));
        }
        _ = Task.Run(WatchStandardInputAsync);
    }

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Tells the parent that this child serves.</summary>
    public static void SignalReady()
    {
        Console.Out.WriteLine(BenchChild.ReadyLine);
        Console.Out.Flush();
    }

    /// <summary>Waits until the child is asked to stop.</summary>
    public Task WaitAsync() => Task.Delay(Timeout.Infinite, Stopping).ContinueWith(_ => { }, TaskScheduler.Default);

    private async Task WatchStandardInputAsync()
    {
        try
        {
            using var input = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (await input.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
        }
        _stopping.Cancel();
    }

    public void Dispose()
    {
        // The token source stays: the standard input watcher may still cancel it while the process exits.
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }
    }
}
