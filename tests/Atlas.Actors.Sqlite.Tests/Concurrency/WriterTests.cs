using Atlas.Actors.Persistence;
using Atlas.Actors.Serialization;
using Atlas.Actors.Sqlite.Tests.Infrastructure;
using Atlas.Actors.Testing.Contracts;

namespace Atlas.Actors.Sqlite.Tests.Concurrency;

/// <summary>SQLite has one writer per file: writes of one process take turns, reads run beside them.</summary>
public sealed class WriterTests : IDisposable
{
    private readonly TempDatabase _file = new();

    [Fact]
    public async Task Two_hundred_concurrent_writes_to_one_file_all_succeed()
    {
        var storage = Storage(_file.Open());

        var written = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var state = new TestGrainState<ContractState>(new ContractState { Count = i });
            await storage.WriteStateAsync("s", new GrainId("busy", $"g{i}"), state);
            return state.ETag;
        })));

        Assert.All(written, etag => Assert.Equal("1", etag));
    }

    [Fact]
    public async Task Writers_on_two_databases_of_one_file_take_turns_and_exactly_one_of_50_with_the_same_etag_wins()
    {
        // Two silos of one process on one file: each has its own SqliteDatabase.
        var storages = new[] { Storage(_file.Open()), Storage(_file.Open()) };
        var grain = new GrainId("busy", "contended");
        await storages[0].WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState { Name = "start" }));

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            try
            {
                await storages[i % 2].WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState { Name = $"w{i}" }, etag: "1"));
                return $"w{i}";
            }
            catch (InconsistentStateException)
            {
                return null;
            }
        })));

        var winner = Assert.Single(results, r => r is not null);
        var read = new TestGrainState<ContractState>(new ContractState());
        await storages[1].ReadStateAsync("s", grain, read);
        Assert.Equal(("2", winner), (read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_read_is_not_blocked_by_a_write_in_progress_and_sees_the_last_commit()
    {
        var database = _file.Open();
        var storage = Storage(database);
        var grain = new GrainId("busy", "reader");
        var state = new TestGrainState<ContractState>(new ContractState { Name = "committed" });
        await storage.WriteStateAsync("s", grain, state);
        var writing = new TaskCompletionSource();
        var finish = new TaskCompletionSource();

        var write = database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "update atlas_grain_state set payload = null where grain_key = 'reader'";
            await command.ExecuteNonQueryAsync(token);
            writing.SetResult();
            await finish.Task;
            return 0;
        });
        await writing.Task;
        var read = new TestGrainState<ContractState>(new ContractState());
        await storage.ReadStateAsync("s", grain, read).WaitAsync(TimeSpan.FromSeconds(30));
        finish.SetResult();
        await write;

        Assert.Equal("committed", read.State.Name);
    }

    [Fact]
    public async Task The_file_uses_write_ahead_logging()
    {
        var database = _file.Open();
        await Storage(database).WriteStateAsync("s", new GrainId("busy", "wal"), new TestGrainState<ContractState>(new ContractState()));

        var mode = await database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "pragma journal_mode";
            return (string)(await command.ExecuteScalarAsync(token))!;
        });

        Assert.Equal("wal", mode);
    }

    [Fact]
    public async Task A_file_that_cannot_be_opened_fails_with_GrainStorageUnavailableException_naming_the_provider()
    {
        // A folder where the file should be: SQLite cannot open it.
        var blocked = Path.Combine(_file.Folder, "blocked.db");
        Directory.CreateDirectory(blocked);
        var storage = new SqliteGrainStorage("blocked", _file.Track(new SqliteDatabase(blocked)), GrainStateSerializer.Default);

        var error = await Assert.ThrowsAsync<GrainStorageUnavailableException>(() =>
            storage.WriteStateAsync("s", new GrainId("busy", "x"), new TestGrainState<ContractState>(new ContractState())));

        Assert.Equal("SQLite grain storage 'blocked'", error.Provider);
    }

    private static SqliteGrainStorage Storage(SqliteDatabase database) => new("busy", database, GrainStateSerializer.Default);

    public void Dispose() => _file.Dispose();
}
