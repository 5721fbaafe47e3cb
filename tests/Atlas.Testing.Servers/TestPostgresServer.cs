using Atlas.Infrastructure.Postgres;
using Npgsql;

namespace Atlas.Testing.Servers;

/// <summary>The test PostgreSQL (<c>ATLAS_TEST_POSTGRES</c>): its connection string, and stopping and starting it for outage tests.</summary>
/// <remarks>Its data survives a restart. Tests that stop it must run alone (an xUnit collection with <c>DisableParallelization = true</c>).</remarks>
public static class TestPostgresServer
{
    /// <summary>Connections each test data source may open: several test classes run at once on a server with 100 connections.</summary>
    private const int PoolSize = 20;

    /// <summary>The connection string, with a bounded pool.</summary>
    public static string ConnectionString =>
        new NpgsqlConnectionStringBuilder(TestServices.Required("ATLAS_TEST_POSTGRES")) { MaxPoolSize = PoolSize }.ConnectionString;

    /// <summary>A data source on the test server, configured as Atlas's PostgreSQL providers configure theirs.</summary>
    public static NpgsqlDataSource CreateDataSource() => PostgresDataSource.Create(new PostgresStorageOptions { ConnectionString = ConnectionString });

    public static Task StopAsync() => TestServices.RunScriptAsync("stop-postgres");

    /// <summary>Starts PostgreSQL and returns once it answers.</summary>
    public static Task StartAsync() => TestServices.RunScriptAsync("start-postgres");

    /// <summary>Stops and starts PostgreSQL (fast shutdown: open sessions are cut), returning once it answers.</summary>
    public static Task RestartAsync() => TestServices.RunScriptAsync("restart-postgres");
}
