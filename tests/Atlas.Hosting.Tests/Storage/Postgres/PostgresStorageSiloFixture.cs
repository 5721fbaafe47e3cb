using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>
/// One started silo on the test PostgreSQL, shared by the provider tests: its services build Orleans' own ADO.NET
/// grain storage and reminder table as the silo built its own (same options, serializer and connection pool), but
/// under a service id per test, so that no test sees another's rows.
/// </summary>
public sealed class PostgresStorageSiloFixture : IAsyncLifetime
{
    private IHost? _host;

    public IServiceProvider Services => (_host ?? throw new InvalidOperationException("The silo is not started.")).Services;

    /// <summary>The service id of the shared silo itself.</summary>
    public string ServiceId { get; } = PostgresTestSilo.NewServiceId("shared");

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        DataSource = TestPostgresServer.CreateDataSource();
        _host = await PostgresTestSilo.StartAsync(TestPostgresServer.ConnectionString, ServiceId);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await PostgresTestSilo.StopAsync(_host);
        }
        await DataSource.DisposeAsync();
    }

    /// <summary>
    /// An <see cref="AdoNetGrainStorage"/> for <paramref name="serviceId"/>, made as <c>AdoNetGrainStorageFactory</c>
    /// makes the silo's (its options named <c>Default</c>) and initialised through a silo lifecycle, as a silo does.
    /// </summary>
    public Task<AdoNetGrainStorage> CreateGrainStorageAsync(string serviceId) => StartGrainStorageAsync(
        Services.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME), serviceId);

    /// <summary>An <see cref="AdoNetGrainStorage"/> with <paramref name="options"/>, started as a silo starts it.</summary>
    public async Task<AdoNetGrainStorage> StartGrainStorageAsync(AdoNetGrainStorageOptions options, string serviceId)
    {
        const string name = ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME;
        var storage = ActivatorUtilities.CreateInstance<AdoNetGrainStorage>(
            Services, Options.Create(options), name, Options.Create(new ClusterOptions { ClusterId = serviceId, ServiceId = serviceId }));
        var lifecycle = new SiloLifecycleSubject(Services.GetRequiredService<ILogger<SiloLifecycleSubject>>());
        storage.Participate(lifecycle);
        await lifecycle.OnStart();
        return storage;
    }

    /// <summary>The silo's <see cref="IReminderTable"/> type (Orleans' <c>AdoNetReminderTable</c>), made for <paramref name="serviceId"/> and started.</summary>
    public async Task<IReminderTable> CreateReminderTableAsync(string serviceId)
    {
        var type = Services.GetRequiredService<IReminderTable>().GetType();
        var table = (IReminderTable)ActivatorUtilities.CreateInstance(
            Services, type, Options.Create(new ClusterOptions { ClusterId = serviceId, ServiceId = serviceId }));
        await table.StartAsync();
        return table;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresStorageCollection : ICollectionFixture<PostgresStorageSiloFixture>
{
    public const string Name = "PostgreSQL storage silo";
}
