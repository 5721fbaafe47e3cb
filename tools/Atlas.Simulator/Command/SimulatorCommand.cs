using Atlas.Simulator.Platform;

namespace Atlas.Simulator.Command;

/// <summary>
/// The command line: parses the options (usage and exit code 2 when they are wrong), runs the simulation, prints
/// progress lines and then one JSON line. Exit codes: 0 done, 1 Atlas unreachable or refusing the set-up (one line on
/// standard error, no stack trace), 2 bad options, 3 the run finished but counted errors.
/// </summary>
public static class SimulatorCommand
{
    public const int Done = 0, Failed = 1, BadOptions = 2, CountedErrors = 3;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken cancellationToken = default)
    {
        if (args is ["--help"] or ["-h"])
        {
            await output.WriteLineAsync(SimulatorOptions.Usage);
            return Done;
        }
        var options = SimulatorOptions.Parse(args, out var problem);
        if (options is null)
        {
            await errors.WriteLineAsync($"{problem}\n{SimulatorOptions.Usage}");
            return BadOptions;
        }
        var writeLock = new Lock();
        void Log(string line)
        {
            lock (writeLock)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        try
        {
            var result = await new CitySimulation(options, Log).RunAsync(cancellationToken);
            Log(result.ToJson().ToJsonString());
            return result.Errors == 0 ? Done : CountedErrors;
        }
        catch (Exception e) when (e is PlatformUnreachableException or SimulationSetupException)
        {
            await errors.WriteLineAsync(e.Message);
            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await errors.WriteLineAsync("interrupted");
            return Failed;
        }
        catch (Exception e)
        {
            // Whatever else went wrong is still one line for the person at the terminal, not a stack trace.
            await errors.WriteLineAsync($"the simulation stopped: {e.GetType().Name}: {e.Message}");
            return Failed;
        }
    }
}
