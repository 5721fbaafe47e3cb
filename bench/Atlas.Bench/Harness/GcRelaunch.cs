using System.Diagnostics;
using System.Reflection;
using System.Runtime;

namespace Atlas.Bench.Harness;

/// <summary>
/// The GC mode is fixed when a process starts, so a scenario that needs another one than the bench's own
/// (<see cref="IScenario.ServerGc"/>) runs in a second process: the same command under <c>DOTNET_gcServer</c>,
/// sharing this console, so its progress and result line are the run's.
/// </summary>
public static class GcRelaunch
{
    // Set in the relaunched process, so that a runtime ignoring DOTNET_gcServer cannot make it relaunch forever.
    private const string Marker = "ATLAS_BENCH_GC_RELAUNCHED";

    /// <summary>Whether <paramref name="scenario"/> must run in a process started with the other GC mode.</summary>
    public static bool IsNeededFor(IScenario scenario) =>
        scenario.ServerGc != GCSettings.IsServerGC && Environment.GetEnvironmentVariable(Marker) is null;

    /// <summary>Runs <c>dotnet &lt;this bench&gt; <paramref name="args"/></c> under the scenario's GC; returns its exit code.</summary>
    public static async Task<int> RunAsync(IScenario scenario, IReadOnlyList<string> args)
    {
        var assembly = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(assembly))
        {
            throw new InvalidOperationException("The bench assembly's path is unknown: it cannot be restarted under another GC.");
        }
        var start = new ProcessStartInfo("dotnet", [assembly, .. args]) { UseShellExecute = false };
        start.Environment["DOTNET_gcServer"] = scenario.ServerGc ? "1" : "0";
        start.Environment[Marker] = "1";
        Console.Out.Flush();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The bench could not be restarted under another GC.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
