using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Atlas.Actors.Sqlite.Tests.Infrastructure;
using Atlas.Actors.Testing.Contracts;

namespace Atlas.Actors.Sqlite.Tests.Contracts;

/// <summary>The grain storage contract, run against SQLite (a fresh database file per test).</summary>
public sealed class SqliteGrainStorageContractTests : GrainStorageContractTests, IDisposable
{
    private readonly TempDatabase _file = new();

    protected override IGrainStorage CreateStorage() => new SqliteGrainStorage("contract", _file.Open(), GrainStateSerializer.Default);

    public void Dispose() => _file.Dispose();
}

/// <summary>The reminder table contract, run against SQLite (a fresh database file per test).</summary>
public sealed class SqliteReminderTableContractTests : ReminderTableContractTests, IDisposable
{
    private readonly TempDatabase _file = new();

    protected override async Task<IReminderTable> CreateTable()
    {
        var table = new SqliteReminderTable(_file.Open());
        await table.InitializeAsync();
        return table;
    }

    public void Dispose() => _file.Dispose();
}
