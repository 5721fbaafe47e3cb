namespace Atlas.Bench.Harness;

/// <summary>
/// One benchmark: measures Atlas and its baseline in the same process and run, and fills a <see cref="BenchReport"/>
/// (figures, ratio, targets). The harness prints the report as the run's last line.
/// </summary>
public interface IScenario
{
    /// <summary>The name given on the command line, e.g. <c>calls</c>.</summary>
    string Name { get; }

    /// <summary>One line for the scenario list: what is measured against what.</summary>
    string Description { get; }

    /// <summary>
    /// Whether the scenario runs under server GC, as a web host does (Atlas.Api is an ASP.NET Core app: server GC by
    /// default). Default false: the bench's workstation GC, as the silos run. When it differs from the process's GC,
    /// <see cref="GcRelaunch"/> runs the bench again under the right one.
    /// </summary>
    bool ServerGc => false;

    Task RunAsync(BenchSettings settings, BenchLog log, BenchReport report);
}
