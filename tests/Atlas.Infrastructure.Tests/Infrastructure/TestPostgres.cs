using Atlas.Actors.Postgres;
using Atlas.Testing.Servers;
using Npgsql;

namespace Atlas.Infrastructure.Tests.Infrastructure;

/// <summary>The PostgreSQL server the project's test command starts (<c>bash scripts/test.sh</c>), reached through its environment variables.</summary>
internal static class TestPostgres
{
    /// <summary>The connection string from <c>ATLAS_TEST_POSTGRES</c>, with a bounded pool.</summary>
    public static string ConnectionString => TestPostgresServer.ConnectionString;

    public static NpgsqlDataSource CreateDataSource() => PostgresDataSource.Create(new PostgresStorageOptions { ConnectionString = ConnectionString });
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
