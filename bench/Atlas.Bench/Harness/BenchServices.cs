using System.Diagnostics;

namespace Atlas.Bench.Harness;

/// <summary>
/// The Redis and PostgreSQL servers a scenario needs. Taken from <c>ATLAS_TEST_REDIS</c> / <c>ATLAS_TEST_POSTGRES</c>
/// when they are set (e.g. after <c>eval "$(bash scripts/services.sh env)"</c>); otherwise the repository's
/// <c>scripts/services.sh start</c> is run (it installs the servers if missing, starts private instances, and is
/// idempotent) and its <c>env</c> output is read, so a benchmark needs nothing but its own command on a fresh machine.
/// </summary>
public sealed class BenchServices
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static BenchServices? _started;

    private BenchServices(string redis, string postgres, string source)
    {
        Redis = redis;
        Postgres = postgres;
        Source = source;
    }

    /// <summary>StackExchange.Redis configuration, e.g. <c>127.0.0.1:63799</c>.</summary>
    public string Redis { get; }

    /// <summary>Npgsql connection string.</summary>
    public string Postgres { get; }

    /// <summary>Where the settings came from (for the progress log).</summary>
    public string Source { get; }

    /// <summary>The servers, starting them once per process if the environment does not name them.</summary>
    public static async Task<BenchServices> EnsureAsync(BenchLog log)
    {
        var redis = Environment.GetEnvironmentVariable("ATLAS_TEST_REDIS");
        var postgres = Environment.GetEnvironmentVariable("ATLAS_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(redis) && !string.IsNullOrWhiteSpace(postgres))
        {
            return new BenchServices(redis, postgres, "ATLAS_TEST_REDIS / ATLAS_TEST_POSTGRES");
        }
        await Gate.WaitAsync();
        try
        {
            if (_started is not null)
            {
                return _started;
            }
            var script = Path.Combine(RepositoryRoot(), "scripts", "services.sh");
            log.Progress($"ATLAS_TEST_REDIS / ATLAS_TEST_POSTGRES not set: running bash {script} start");
            await RunScriptAsync(script, "start");
            var variables = ParseExports(await RunScriptAsync(script, "env"));
            _started = new BenchServices(
                Required(variables, "ATLAS_TEST_REDIS"),
                Required(variables, "ATLAS_TEST_POSTGRES"),
                $"{script} (state in {variables.GetValueOrDefault("ATLAS_SERVICES_DIR", "?")})");
            log.Progress($"services: Redis {_started.Redis}, PostgreSQL port {variables.GetValueOrDefault("ATLAS_TEST_PG_PORT", "?")}");
            return _started;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The folder holding <c>Atlas.sln</c>, found by walking up from the bench assembly.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Atlas.sln")))
                {
                    return directory.FullName;
                }
            }
        }
        throw new InvalidOperationException($"Atlas.sln was not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}.");
    }

    private static async Task<string> RunScriptAsync(string script, string command)
    {
        var start = new ProcessStartInfo("bash", [script, command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"bash {script} {command} did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bash {script} {command} failed with exit code {process.ExitCode}:\n{await error}{await output}");
        }
        return await output;
    }

    /// <summary>Reads the <c>export NAME='value'</c> lines that <c>services.sh env</c> prints (single-quoted, <c>'\''</c> for a quote).</summary>
    internal static Dictionary<string, string> ParseExports(string text)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("export ", StringComparison.Ordinal))
            {
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                continue;
            }
            var name = line["export ".Length..equals].Trim();
            var value = line[(equals + 1)..];
            if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
            {
                value = value[1..^1].Replace("'\\''", "'", StringComparison.Ordinal);
            }
            variables[name] = value;
        }
        return variables;
    }

    private static string Required(Dictionary<string, string> variables, string name) =>
        variables.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new InvalidOperationException($"scripts/services.sh env did not print {name}.");
}
