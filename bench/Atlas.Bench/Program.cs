using Atlas.Bench.Children;
using Atlas.Bench.Harness;

// Usage: dotnet run -c Release --project bench/Atlas.Bench -- <scenario> [--quick] [--rounds N] [--time-scale X] [--profile-allocations]
// Progress goes to stdout line by line; the last line is the scenario's result as one JSON object.

// A child process of a multi-process scenario (e.g. remote-silo, remote-echo): not a scenario, not listed.
if (args.Length > 0 && ChildCommands.Find(args[0]) is { } child)
{
    return await child(args[1..]);
}

if (args.Length == 0 || args[0] is "list" or "--help" or "-h")
{
    Console.WriteLine("usage: Atlas.Bench <scenario> [--quick] [--rounds N] [--time-scale X] [--profile-allocations]");
    Console.WriteLine("scenarios:");
    foreach (var known in ScenarioRegistry.All)
    {
        Console.WriteLine($"  {known.Name,-12} {known.Description}");
    }
    return args.Length == 0 ? 1 : 0;
}

var scenario = ScenarioRegistry.Find(args[0]);
if (scenario is null)
{
    Console.Error.WriteLine($"Unknown scenario '{args[0]}'. Known: {string.Join(", ", ScenarioRegistry.All.Select(s => s.Name))}.");
    return 1;
}
var settings = BenchSettings.Parse(args[1..], out var error);
if (settings is null)
{
    Console.Error.WriteLine(error);
    return 1;
}
if (GcRelaunch.IsNeededFor(scenario))
{
    return await GcRelaunch.RunAsync(scenario, args);
}

var log = new BenchLog();
var report = new BenchReport(scenario.Name, settings);
log.Progress($"{scenario.Name} ({settings.Mode}): {scenario.Description}");
await scenario.RunAsync(settings, log, report);
Console.Out.WriteLine(report.ToJsonLine(log.Elapsed));
Console.Out.Flush();
return 0;
