using Atlas.Hosting.Storage.Postgres;
using Atlas.Infrastructure.Postgres;
using Atlas.Testing.Servers;
using Npgsql;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>The schema's migrations, each test on an empty PostgreSQL schema of its own (as on a new database).</summary>
public sealed class OrleansPostgresSchemaTests : IAsyncLifetime
{
    private readonly string _schema = $"orleans_schema_{Guid.NewGuid():N}";
    private NpgsqlDataSource _admin = null!;

    public async Task InitializeAsync()
    {
        _admin = TestPostgresServer.CreateDataSource();
        await using var command = _admin.CreateCommand($"create schema {_schema}");
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await using (var command = _admin.CreateCommand($"drop schema {_schema} cascade"))
        {
            await command.ExecuteNonQueryAsync();
        }
        await _admin.DisposeAsync();
    }

    /// <summary>A pool of its own whose connections see only the test's schema.</summary>
    private NpgsqlDataSource SchemaDataSource() => PostgresDataSource.Create(new PostgresStorageOptions
    {
        ConnectionString = new NpgsqlConnectionStringBuilder(TestPostgresServer.ConnectionString) { SearchPath = _schema, MaxPoolSize = 4 }.ConnectionString,
    });

    private static IEnumerable<string> Ids => OrleansPostgresSchema.Migrations.Select(m => m.Id);

    private async Task<string[]> QueryKeysAsync()
    {
        await using var command = _admin.CreateCommand($"select querykey from {_schema}.orleansquery order by querykey");
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }
        return [.. keys];
    }

    private async Task<long> RecordedCountAsync()
    {
        await using var command = _admin.CreateCommand($"select count(*) from {_schema}.atlas_schema_migrations where id like 'orleans/%'");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Applying_creates_every_query_key_the_providers_read()
    {
        await using var dataSource = SchemaDataSource();

        var applied = await PostgresMigrations.ApplyAsync(dataSource, OrleansPostgresSchema.Migrations);

        Assert.Equal(Ids, applied);
        Assert.Equal(OrleansPostgresSchema.GrainStorageQueryKeys.Concat(OrleansPostgresSchema.ReminderQueryKeys).Order(StringComparer.Ordinal), await QueryKeysAsync());
    }

    [Fact]
    public async Task Applying_again_applies_nothing_and_changes_nothing()
    {
        await using var dataSource = SchemaDataSource();
        await PostgresMigrations.ApplyAsync(dataSource, OrleansPostgresSchema.Migrations);
        var keys = await QueryKeysAsync();

        var again = await PostgresMigrations.ApplyAsync(dataSource, OrleansPostgresSchema.Migrations);

        Assert.Empty(again);
        Assert.Equal(keys, await QueryKeysAsync());
        Assert.Equal(OrleansPostgresSchema.Migrations.Count, await RecordedCountAsync());
    }

    [Fact]
    public async Task Two_silos_applying_at_once_apply_each_migration_once()
    {
        await using var first = SchemaDataSource();
        await using var second = SchemaDataSource();
        using var start = new SemaphoreSlim(0);
        async Task<IReadOnlyList<string>> Apply(NpgsqlDataSource dataSource)
        {
            await start.WaitAsync();
            return await PostgresMigrations.ApplyAsync(dataSource, OrleansPostgresSchema.Migrations);
        }
        var runs = new[] { Task.Run(() => Apply(first)), Task.Run(() => Apply(second)) };

        start.Release(2);
        var applied = await Task.WhenAll(runs);

        Assert.Equal(Ids.Order(StringComparer.Ordinal), applied.SelectMany(a => a).Order(StringComparer.Ordinal));
        Assert.Equal(OrleansPostgresSchema.Migrations.Count, await RecordedCountAsync());
        Assert.Equal(10, (await QueryKeysAsync()).Length);
    }

    [Fact]
    public async Task An_existing_OrleansQuery_table_is_kept_and_its_other_keys_too()
    {
        // As in a database where Orleans' own scripts (e.g. ADO.NET clustering) created the table first.
        await using (var command = _admin.CreateCommand(
            $"create table {_schema}.OrleansQuery (QueryKey varchar(64) primary key, QueryText varchar(8000) not null); " +
            $"insert into {_schema}.OrleansQuery values ('GatewaysQueryKey', 'select 1'), ('ReadFromStorageKey', 'their text')"))
        {
            await command.ExecuteNonQueryAsync();
        }
        await using var dataSource = SchemaDataSource();

        await PostgresMigrations.ApplyAsync(dataSource, OrleansPostgresSchema.Migrations);

        Assert.Contains("GatewaysQueryKey", await QueryKeysAsync());
        await using var read = _admin.CreateCommand($"select querytext from {_schema}.orleansquery where querykey = 'ReadFromStorageKey'");
        Assert.Contains("orleans_grain_state", (string)(await read.ExecuteScalarAsync())!);
    }
}
