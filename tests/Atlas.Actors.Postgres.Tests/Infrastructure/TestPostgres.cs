using Atlas.Testing.Servers;

namespace Atlas.Actors.Postgres.Tests.Infrastructure;

/// <summary>The PostgreSQL server the project's test command starts (<c>bash scripts/test.sh</c>), reached through its environment variables.</summary>
internal static class TestPostgres
{
    /// <summary>The connection string from <c>ATLAS_TEST_POSTGRES</c>, with a bounded pool.</summary>
    public static string ConnectionString => TestPostgresServer.ConnectionString;

    /// <summary>Options as a silo would have them, for the test server.</summary>
    public static PostgresStorageOptions Options(string? serviceId = null) => new() { ConnectionString = ConnectionString, ServiceId = serviceId };

    /// <summary>A service id no other test (or earlier run) uses, so tests share the database without seeing each other's rows.</summary>
    public static string NewServiceId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
