using Atlas.Testing.Servers;
using Npgsql;

namespace Atlas.Actors.Postgres.Tests.Migrations;

public sealed class MigrationTests(PostgresDataSourceFixture database) : IClassFixture<PostgresDataSourceFixture>, IAsyncLifetime
{
    // Each test owns a table and migration ids no other test or run uses.
    private readonly string _table = $"migration_test_{Guid.NewGuid():N}";

    private NpgsqlDataSource DataSource => database.DataSource;

    [Fact]
    public async Task Silos_applying_the_same_migrations_at_once_apply_each_exactly_once()
    {
        var migrations = CountingMigrations();
        var sources = Enumerable.Range(0, 4).Select(_ => TestPostgresServer.CreateDataSource()).ToArray();
        try
        {
            var results = await Task.WhenAll(sources.Select(s => Task.Run(() => PostgresMigrations.ApplyAsync(s, migrations))));

            Assert.Equal(migrations.Select(m => m.Id).Order(), results.SelectMany(r => r).Order());
            Assert.Equal(1L, await ScalarAsync<long>($"select count(*) from {_table}"));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Applying_migrations_again_applies_nothing()
    {
        var migrations = CountingMigrations();
        await PostgresMigrations.ApplyAsync(DataSource, migrations);

        var applied = await PostgresMigrations.ApplyAsync(DataSource, migrations);

        Assert.Empty(applied);
        Assert.Equal(1L, await ScalarAsync<long>($"select count(*) from {_table}"));
    }

    [Fact]
    public async Task Applied_migrations_are_recorded_with_their_ids()
    {
        var migrations = CountingMigrations();

        await PostgresMigrations.ApplyAsync(DataSource, migrations);

        foreach (var migration in migrations)
        {
            Assert.True(await ScalarAsync<bool>($"select exists (select 1 from atlas_schema_migrations where id = '{migration.Id}')"));
        }
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded_and_the_ones_before_it_stay_applied()
    {
        var good = new PostgresMigration($"{_table}/0001", $"create table {_table} (n int)");
        var bad = new PostgresMigration($"{_table}/0002", $"create table {_table}_half (n int); select 1 / 0");

        var error = await Assert.ThrowsAsync<PostgresMigrationException>(() => PostgresMigrations.ApplyAsync(DataSource, [good, bad]));

        Assert.Equal(bad.Id, error.MigrationId);
        Assert.True(await ScalarAsync<bool>($"select exists (select 1 from atlas_schema_migrations where id = '{good.Id}')"));
        Assert.False(await ScalarAsync<bool>($"select exists (select 1 from atlas_schema_migrations where id = '{bad.Id}')"));
        Assert.Null(await ScalarAsync<string>($"select to_regclass('{_table}_half')::text"));
    }

    [Fact]
    public async Task A_set_naming_one_id_twice_is_refused_before_anything_runs()
    {
        var twice = new PostgresMigration($"{_table}/0001", $"create table {_table} (n int)");

        await Assert.ThrowsAsync<ArgumentException>(() => PostgresMigrations.ApplyAsync(DataSource, [twice, twice]));

        Assert.Null(await ScalarAsync<string>($"select to_regclass('{_table}')::text"));
    }

    [Fact]
    public async Task The_actors_schema_can_be_applied_by_two_silos_at_once()
    {
        await using var other = TestPostgresServer.CreateDataSource();

        await Task.WhenAll(PostgresMigrations.ApplyAsync(DataSource), PostgresMigrations.ApplyAsync(other));

        Assert.NotNull(await ScalarAsync<string>("select to_regclass('atlas_grain_state')::text"));
        Assert.NotNull(await ScalarAsync<string>("select to_regclass('atlas_reminders')::text"));
    }

    /// <summary>Creates a table, then inserts one row: applied twice, the row would be there twice.</summary>
    private IReadOnlyList<PostgresMigration> CountingMigrations() =>
    [
        new($"{_table}/0001-create", $"create table {_table} (n int not null)"),
        new($"{_table}/0002-insert", $"insert into {_table} values (1)"),
    ];

    private async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await using var command = DataSource.CreateCommand(
            $"drop table if exists {_table}; drop table if exists {_table}_half; delete from atlas_schema_migrations where id like '{_table}/%'");
        await command.ExecuteNonQueryAsync();
    }
}
