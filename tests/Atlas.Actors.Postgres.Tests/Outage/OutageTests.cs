using Atlas.Testing.Servers;
using System.Diagnostics;
using Atlas.Actors.Persistence;
using Atlas.Actors.Postgres.Tests.Grains;
using Atlas.Actors.Postgres.Tests.Infrastructure;
using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Atlas.Actors.Testing;
using Atlas.Actors.Testing.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Atlas.Actors.Postgres.Tests.Outage;

/// <summary>Stopping the server would break tests running beside these, so they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OutageCollection
{
    public const string Name = "postgres-outage";
}

[Collection(OutageCollection.Name)]
public sealed class OutageTests : IAsyncLifetime
{
    /// <summary>Generous: a refused connection fails at once, a silent server within the 5 s connect timeout.</summary>
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(15);

    private readonly NpgsqlDataSource _dataSource = TestPostgresServer.CreateDataSource();
    private readonly string _serviceId = TestPostgres.NewServiceId("outage");

    [Fact]
    public async Task While_PostgreSQL_is_down_a_write_fails_quickly_with_GrainStorageUnavailableException()
    {
        var storage = Storage();
        var grain = new GrainId("outage", Guid.NewGuid().ToString("N"));
        var state = new TestGrainState<ContractState>(new ContractState { Name = "before" });
        await storage.WriteStateAsync("s", grain, state);

        await WhileStoppedAsync(async () =>
        {
            state.State.Name = "during";
            var stopwatch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<GrainStorageUnavailableException>(() => storage.WriteStateAsync("s", grain, state));

            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, FailureBound);
            Assert.Equal("PostgreSQL grain storage 'outage'", error.Provider);
            Assert.Contains($"state 's' of {grain}", error.Message);
            Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
            Assert.Equal("1", state.ETag);
        });
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_a_read_fails_with_GrainStorageUnavailableException()
    {
        var storage = Storage();
        var grain = new GrainId("outage", Guid.NewGuid().ToString("N"));
        await storage.WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState()));

        await WhileStoppedAsync(async () =>
        {
            var stopwatch = Stopwatch.StartNew();
            await Assert.ThrowsAsync<GrainStorageUnavailableException>(() =>
                storage.ReadStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState())));
            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, FailureBound);
        });
    }

    [Fact]
    public async Task When_PostgreSQL_is_back_the_same_storage_works_again_and_holds_the_last_successful_write()
    {
        var storage = Storage();
        var grain = new GrainId("outage", Guid.NewGuid().ToString("N"));
        var state = new TestGrainState<ContractState>(new ContractState { Name = "before" });
        await storage.WriteStateAsync("s", grain, state);
        await WhileStoppedAsync(async () =>
        {
            state.State.Name = "during";
            await Assert.ThrowsAsync<GrainStorageUnavailableException>(() => storage.WriteStateAsync("s", grain, state));
        });

        var read = new TestGrainState<ContractState>(new ContractState());
        await storage.ReadStateAsync("s", grain, read);
        state.State.Name = "after";
        await storage.WriteStateAsync("s", grain, state);

        Assert.Equal(("1", "before"), (read.ETag, read.State.Name));
        Assert.Equal("2", state.ETag);
    }

    [Fact]
    public async Task After_a_restart_between_calls_the_first_write_succeeds()
    {
        var storage = Storage();
        var grain = new GrainId("outage", Guid.NewGuid().ToString("N"));
        var state = new TestGrainState<ContractState>(new ContractState());
        await storage.WriteStateAsync("s", grain, state);

        // The pool still holds the connection the server closed while restarting.
        await TestPostgresServer.RestartAsync();
        await storage.WriteStateAsync("s", grain, state);

        Assert.Equal("2", state.ETag);
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_the_reminder_table_fails_with_ReminderTableUnavailableException_and_recovers()
    {
        var table = new PostgresReminderTable(_serviceId, _dataSource);
        await table.InitializeAsync();
        var entry = new ReminderEntry
        {
            GrainId = new GrainId("outage", Guid.NewGuid().ToString("N")),
            ReminderName = "r",
            StartAtUtc = DateTime.UtcNow,
            Period = TimeSpan.FromMinutes(1),
        };

        await WhileStoppedAsync(async () =>
        {
            var error = await Assert.ThrowsAsync<ReminderTableUnavailableException>(() => table.UpsertRowAsync(entry));
            Assert.Equal("PostgreSQL reminder table", error.Provider);
            await Assert.ThrowsAsync<ReminderTableUnavailableException>(() => table.ReadRowsAsync(0, 0));
        });

        var etag = await table.UpsertRowAsync(entry);
        Assert.Equal(etag, (await table.ReadRowAsync(entry.GrainId, "r"))?.ETag);
    }

    [Fact]
    public async Task A_grain_call_during_an_outage_fails_with_GrainStorageUnavailableException_and_the_grain_works_again_after()
    {
        await using var cluster = new TestClusterBuilder(2) { ClusterId = _serviceId }.ConfigureSilo(silo =>
        {
            silo.Services.AddSingleton(new TickLog());
            silo.AddPostgresGrainStorageAsDefault(TestPostgres.ConnectionString);
            silo.UsePostgresReminders(TestPostgres.ConnectionString);
        }).Build();
        await cluster.DeployAsync();
        var ledger = cluster.GrainFactory.GetGrain<IDriverLedgerGrain>(Guid.NewGuid().ToString("N"));
        await ledger.AddTrip("t1");

        await WhileStoppedAsync(async () =>
        {
            var error = await Assert.ThrowsAsync<GrainStorageUnavailableException>(() => ledger.AddTrip("lost"));
            Assert.Equal("PostgreSQL grain storage 'Default'", error.Provider);
        });

        Assert.Equal(2, await ledger.AddTrip("t2"));
        Assert.Equal(["t1", "t2"], await ledger.Trips());
    }

    private PostgresGrainStorage Storage() => new("outage", _serviceId, _dataSource, GrainStateSerializer.Default);

    private static async Task WhileStoppedAsync(Func<Task> during)
    {
        await TestPostgresServer.StopAsync();
        try
        {
            await during();
        }
        finally
        {
            await TestPostgresServer.StartAsync();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();
}
