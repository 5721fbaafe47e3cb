using Npgsql;
using Xunit;

namespace Atlas.Testing.Servers;

/// <summary>A data source on the test PostgreSQL shared by the tests of one class (<c>IClassFixture</c>).</summary>
public sealed class PostgresDataSourceFixture : IAsyncLifetime
{
    private NpgsqlDataSource? _dataSource;

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The fixture is not initialized.");

    public Task InitializeAsync()
    {
        _dataSource = TestPostgresServer.CreateDataSource();
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
