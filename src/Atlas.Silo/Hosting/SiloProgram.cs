using Atlas.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace Atlas.Silo.Hosting;

/// <summary>
/// The silo process from start to exit: settings checked, servers reached, then the silo runs until SIGTERM (or
/// Ctrl-C) stops it gracefully. What keeps it from starting ends the process with one line on standard error and a
/// non-zero exit code: <see cref="ConfigurationError"/> for a setting or server (the line says what to set),
/// <see cref="StartFailed"/> for anything else (the log has the details).
/// </summary>
public static class SiloProgram
{
    /// <summary>A setting is missing or malformed, or a server it names does not answer.</summary>
    public const int ConfigurationError = 2;

    /// <summary>The silo failed to start or stopped on an error.</summary>
    public const int StartFailed = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            // appsettings.json sits beside the program: found wherever it is started from (the README starts it from the
            // repository root), not only from its own folder.
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
            var settings = SiloHostSettings.From(builder.Configuration);
            await ServerReachability.VerifyAsync(settings);
            builder.AddAtlasSiloHost(settings);
            using var host = builder.Build();
            await host.RunAsync();
            return 0;
        }
        catch (Exception exception) when (ConfigurationProblem(exception) is { } problem)
        {
            await Console.Error.WriteLineAsync($"atlas-silo: {problem.Message}");
            return ConfigurationError;
        }
        catch (Exception exception)
        {
            // The host has logged the exception with its stack; this is the line an operator reads first.
            await Console.Error.WriteLineAsync($"atlas-silo: the silo failed: {exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}");
            return StartFailed;
        }
    }

    /// <summary>An <see cref="AtlasConfigurationException"/> thrown directly or from inside Orleans' start-up (options, providers).</summary>
    private static AtlasConfigurationException? ConfigurationProblem(Exception exception) => exception switch
    {
        AtlasConfigurationException configuration => configuration,
        AggregateException aggregate => aggregate.InnerExceptions.Select(ConfigurationProblem).FirstOrDefault(p => p is not null),
        { InnerException: { } inner } => ConfigurationProblem(inner),
        _ => null,
    };
}
