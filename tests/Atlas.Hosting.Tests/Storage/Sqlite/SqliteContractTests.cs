using Atlas.Hosting.Storage.Sqlite;
using Orleans;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>The grain storage contract, run against SQLite (a fresh database file per test).</summary>
public sealed class SqliteGrainStorageContractTests : GrainStorageContract, IDisposable
{
    private readonly TempDatabase _file = new();

    protected override IGrainStorage CreateStorage() =>
        new SqliteGrainStorage("contract", _file.Open(), StorageSerialization.Serializer, StorageSerialization.Activators);

    public void Dispose() => _file.Dispose();
}

/// <summary>The reminder table contract, run against SQLite (a fresh database file per test).</summary>
public sealed class SqliteReminderTableContractTests : ReminderTableContract, IDisposable
{
    private readonly TempDatabase _file = new();

    protected override async Task<IReminderTable> CreateTable()
    {
        var table = new SqliteReminderTable(_file.Open());
        await table.StartAsync();
        return table;
    }

    public void Dispose() => _file.Dispose();
}
