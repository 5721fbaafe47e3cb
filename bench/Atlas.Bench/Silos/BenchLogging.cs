using Microsoft.Extensions.Logging;

namespace Atlas.Bench.Silos;

/// <summary>
/// Logging of the silos and clients a benchmark starts: warnings and errors only, on standard error, so that standard
/// output keeps the progress lines and the result line alone.
/// </summary>
public static class BenchLogging
{
    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Warning);
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
