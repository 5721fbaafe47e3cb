using Atlas.Testing.Servers;

// Every test here runs processes on the machine's two cores and shares the servers (some stop them): one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

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

/// <summary>Tests that start (and kill, freeze, stop) clusters of their own.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}

/// <summary>Tests that leave the cluster as they found it share one: three silo processes and a client.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedCluster>
{
    public const string Name = "shared cluster";
}

/// <summary>The cluster of <see cref="SharedClusterCollection"/>.</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public ProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ProcessCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
