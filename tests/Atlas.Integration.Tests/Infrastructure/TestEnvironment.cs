using Atlas.Testing.Servers;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>What the README test command provides: the servers, and the silo host and API built beside these tests.</summary>
public static class TestEnvironment
{
    /// <summary>The test PostgreSQL, with a bounded pool per process (three silos and the API share its 100 connections).</summary>
    public static string Postgres => TestPostgresServer.ConnectionString;

    public static string Redis => TestRedisServer.ConnectionString;

    /// <summary>The silo host built in the same configuration as these tests.</summary>
    public static string SiloAssembly => Built("Atlas.Silo");

    /// <summary>The HTTP API built in the same configuration as these tests.</summary>
    public static string ApiAssembly => Built("Atlas.Api");

    private static string Built(string project)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
        var path = Path.Combine(TestServices.RepositoryRoot, "src", project, "bin", configuration, "net10.0", $"{project}.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{project} is not built at {path}; run `bash scripts/test.sh`.");
    }
}

/// <summary>All process tests run one at a time: they share the machine's two cores and the servers.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}
