using Atlas.Actors.Postgres;
using Npgsql;

namespace Atlas.Infrastructure.Tests.Infrastructure;

/// <summary>The PostgreSQL server the project's test command starts (<c>bash scripts/test.sh</c>), reached through its environment variables.</summary>
internal static class TestPostgres
{
    /// <summary>Connections each test data source may open: several test classes run at once on a server with 100 connections.</summary>
    private const int PoolSize = 20;

    /// <summary>The connection string from <c>ATLAS_TEST_POSTGRES</c>, with a bounded pool.</summary>
    public static string ConnectionString => new NpgsqlConnectionStringBuilder(Required("ATLAS_TEST_POSTGRES")) { MaxPoolSize = PoolSize }.ConnectionString;

    public static NpgsqlDataSource CreateDataSource() => PostgresDataSource.Create(new PostgresStorageOptions { ConnectionString = ConnectionString });

    public static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. These tests need the project's PostgreSQL server: run bash scripts/test.sh, " +
                "which starts it and exports ATLAS_TEST_POSTGRES (or, while developing: bash scripts/services.sh start && eval \"$(bash scripts/services.sh env)\").");
}

/// <summary>A data source shared by the tests of one class.</summary>
public sealed class PostgresDataSourceFixture : IAsyncLifetime
{
    private NpgsqlDataSource? _dataSource;

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The fixture is not initialized.");

    public Task InitializeAsync()
    {
        _dataSource = TestPostgres.CreateDataSource();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }
}
