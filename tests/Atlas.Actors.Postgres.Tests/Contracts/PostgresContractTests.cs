using Atlas.Testing.Servers;
using Atlas.Actors.Persistence;
using Atlas.Actors.Postgres.Tests.Infrastructure;
using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Atlas.Actors.Testing.Contracts;

namespace Atlas.Actors.Postgres.Tests.Contracts;

/// <summary>The grain storage contract, run against PostgreSQL (a new service id per test).</summary>
public sealed class PostgresGrainStorageContractTests(PostgresDataSourceFixture database)
    : GrainStorageContractTests, IClassFixture<PostgresDataSourceFixture>
{
    protected override IGrainStorage CreateStorage() =>
        new PostgresGrainStorage("contract", TestPostgres.NewServiceId("storage-contract"), database.DataSource, GrainStateSerializer.Default);
}

/// <summary>The reminder table contract, run against PostgreSQL (a new service id per test).</summary>
public sealed class PostgresReminderTableContractTests(PostgresDataSourceFixture database)
    : ReminderTableContractTests, IClassFixture<PostgresDataSourceFixture>
{
    protected override async Task<IReminderTable> CreateTable()
    {
        var table = new PostgresReminderTable(TestPostgres.NewServiceId("reminder-contract"), database.DataSource);
        await table.InitializeAsync();
        return table;
    }
}
