using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Atlas.Actors.Testing.Contracts;

namespace Atlas.Actors.Tests.Contracts;

/// <summary>The grain storage contract, run against the in-memory storage.</summary>
public sealed class MemoryGrainStorageContractTests : GrainStorageContractTests
{
    protected override IGrainStorage CreateStorage() => new MemoryGrainStorage(new MemoryStorageStore(), GrainStateSerializer.Default);
}

/// <summary>The reminder table contract, run against the in-memory table.</summary>
public sealed class InMemoryReminderTableContractTests : ReminderTableContractTests
{
    protected override async Task<IReminderTable> CreateTable()
    {
        var table = new InMemoryReminderTable();
        await table.InitializeAsync();
        return table;
    }
}
