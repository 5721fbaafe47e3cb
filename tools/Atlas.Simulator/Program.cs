using Atlas.Simulator.Command;

// dotnet run --project tools/Atlas.Simulator -- [--url http://localhost:8085] [--drivers N] [--rides-per-second R] [--duration S] ...
// Progress lines every few seconds; the last line is the run's figures as one JSON object.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};
return await SimulatorCommand.RunAsync(args, Console.Out, Console.Error, interrupted.Token);
