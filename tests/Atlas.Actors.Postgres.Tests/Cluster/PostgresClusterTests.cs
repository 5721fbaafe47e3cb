using Atlas.Testing.Servers;
using Atlas.Actors.Postgres.Tests.Grains;
using Atlas.Actors.Postgres.Tests.Infrastructure;
using Atlas.Actors.Serialization;
using Atlas.Actors.Testing;
using Atlas.Actors.Testing.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Actors.Postgres.Tests.Cluster;

/// <summary>A two-silo cluster whose grain state and reminders live in PostgreSQL (its own service id per test).</summary>
public sealed class PostgresClusterTests : IClassFixture<PostgresDataSourceFixture>, IAsyncLifetime
{
    private readonly PostgresDataSourceFixture _database;
    private readonly TickLog _ticks = new();
    private readonly string _serviceId = TestPostgres.NewServiceId("cluster");
    private TestCluster _cluster = null!;

    public PostgresClusterTests(PostgresDataSourceFixture database) => _database = database;

    public async Task InitializeAsync()
    {
        // The service id defaults to the cluster id.
        _cluster = new TestClusterBuilder(2) { ClusterId = _serviceId }.ConfigureSilo(silo =>
        {
            silo.Services.AddSingleton(_ticks);
            silo.AddPostgresGrainStorageAsDefault(TestPostgres.ConnectionString);
            silo.UsePostgresReminders(TestPostgres.ConnectionString);
        }).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_grains_state_survives_the_kill_of_its_silo()
    {
        var key = Guid.NewGuid().ToString("N");
        var ledger = _cluster.GrainFactory.GetGrain<IDriverLedgerGrain>(key);
        await ledger.AddTrip("t1");
        await ledger.AddTrip("t2");

        await _cluster.KillSiloAsync(_cluster.OwnerOf(ledger.GetGrainId()));
        await _cluster.WaitForLivenessToStabilizeAsync();

        Assert.Equal(["t1", "t2"], await ledger.Trips());
        Assert.Equal(3, await ledger.AddTrip("t3"));
    }

    [Fact]
    public async Task Grain_state_is_written_to_PostgreSQL_under_the_clusters_service_id()
    {
        var ledger = _cluster.GrainFactory.GetGrain<IDriverLedgerGrain>(Guid.NewGuid().ToString("N"));

        await ledger.AddTrip("t1");

        var stored = new TestGrainState<DriverLedgerState>(new DriverLedgerState());
        await new PostgresGrainStorage("check", _serviceId, _database.DataSource, GrainStateSerializer.Default)
            .ReadStateAsync("ledger", ledger.GetGrainId(), stored);
        Assert.Equal("1", stored.ETag);
        Assert.Equal(["t1"], stored.State.Trips);
        Assert.Equal(0, _cluster.Storage.Count);
    }

    [Fact]
    public async Task A_reminder_fires_again_after_its_silo_restarts()
    {
        var key = Guid.NewGuid().ToString("N");
        var grain = _cluster.GrainFactory.GetGrain<IWakeUpGrain>(key);
        await grain.Schedule("shift", dueMs: 100, periodMs: 1_000);
        await _ticks.WaitForTickAsync(key, "shift", after: 0, TimeSpan.FromSeconds(10));

        var owner = _cluster.OwnerOf(grain.GetGrainId());
        await _cluster.RestartSiloAsync(owner);
        await _cluster.WaitForLivenessToStabilizeAsync();
        var before = _ticks.Count(key, "shift");

        await _ticks.WaitForTickAsync(key, "shift", after: before, TimeSpan.FromSeconds(15));
        var row = await new PostgresReminderTable(_serviceId, _database.DataSource).ReadRowAsync(grain.GetGrainId(), "shift");
        Assert.NotNull(row);
        Assert.Empty(await _cluster.Reminders.ReadRowsAsync(0, 0));
    }
}
