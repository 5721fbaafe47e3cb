using System.Diagnostics;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>What the README test command provides: servers, their control script, and the built silo host.</summary>
public static class TestEnvironment
{
    public static string Postgres => Require("ATLAS_TEST_POSTGRES");

    public static string Redis => Require("ATLAS_TEST_REDIS");

    /// <summary>The repository root (the folder holding Atlas.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The silo host built in the same configuration as these tests.</summary>
    public static string SiloAssembly => Built("Atlas.Silo");

    /// <summary>The HTTP API built in the same configuration as these tests.</summary>
    public static string ApiAssembly => Built("Atlas.Api");

    private static string Built(string project)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
        var path = Path.Combine(RepositoryRoot, "src", project, "bin", configuration, "net10.0", $"{project}.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{project} is not built at {path}; run `bash scripts/test.sh`.");
    }

    /// <summary>Runs <c>scripts/services.sh</c> (e.g. <c>stop-redis</c>) and waits for it.</summary>
    public static async Task ServicesAsync(string command)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "scripts", "services.sh"), command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"services.sh {command} failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    private static string Require(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: run the tests with `bash scripts/test.sh`, which starts PostgreSQL and Redis.");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Atlas.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Atlas.sln not found above the test assembly.");
    }
}
