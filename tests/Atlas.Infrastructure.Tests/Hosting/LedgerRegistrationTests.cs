using Atlas.Infrastructure.Postgres;
using Atlas.Infrastructure.Sqlite;
using Atlas.Grains.Hosting;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Atlas.Infrastructure.Tests.Hosting;

public sealed class LedgerRegistrationTests
{
    private const string SomePostgres = "Host=127.0.0.1;Port=1;Database=atlas;Username=atlas;Password=atlas";

    [Fact]
    public async Task AddPostgresLedger_before_AddAtlasGrains_keeps_the_PostgreSQL_store()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddPostgresLedger(SomePostgres);
        services.AddAtlasGrains();
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<PostgresLedgerStore>(provider.GetRequiredService<ILedgerStore>());
        Assert.Single(services, d => d.ServiceType == typeof(ILedgerStore));
    }

    [Fact]
    public async Task AddSqliteLedger_after_AddAtlasGrains_replaces_the_in_memory_store()
    {
        using var folder = new TempFolder();
        var services = new ServiceCollection().AddLogging();
        services.AddAtlasGrains();
        services.AddSqliteLedger(folder.File());
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<SqliteLedgerStore>(provider.GetRequiredService<ILedgerStore>());
        Assert.Single(services, d => d.ServiceType == typeof(ILedgerStore));
    }

    [Fact]
    public async Task Without_a_ledger_AddAtlasGrains_keeps_the_ledger_in_memory()
    {
        await using var provider = new ServiceCollection().AddLogging().AddAtlasGrains().BuildServiceProvider();

        Assert.IsType<InMemoryLedgerStore>(provider.GetRequiredService<ILedgerStore>());
    }

    [Fact]
    public async Task The_PostgreSQL_ledger_takes_its_timeouts_from_the_options_named_Atlas_Ledger()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddPostgresLedger(SomePostgres, o => o.ConnectTimeout = TimeSpan.FromSeconds(2));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(LedgerServiceCollectionExtensions.PostgresOptionsName);
        Assert.Equal((SomePostgres, TimeSpan.FromSeconds(2)), (options.ConnectionString, options.ConnectTimeout));
        Assert.Contains("Timeout=2", PostgresDataSource.ConnectionStringOf(options));
    }

    [Fact]
    public async Task The_SQLite_ledger_shares_its_file_with_the_other_SQLite_providers_of_the_container()
    {
        using var folder = new TempFolder();
        var services = new ServiceCollection().AddLogging();
        services.AddSqliteLedger(folder.File());
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<ILedgerStore>();
        await ((SqliteLedgerStore)store).InitializeAsync();

        Assert.Same(provider.GetRequiredService<SqliteDatabases>().Get(folder.File()), provider.GetRequiredService<SqliteDatabases>().Get(folder.File()));
        Assert.True(File.Exists(folder.File()));
    }
}
