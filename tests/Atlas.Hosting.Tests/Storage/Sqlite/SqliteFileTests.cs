using Atlas.Hosting.Storage.Sqlite;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>
/// How the providers use the file: writes of every silo of the process take turns, reads run beside them, a write is
/// all or nothing, what was committed survives reopening, and a file that cannot serve a call fails as unavailable.
/// </summary>
public sealed class SqliteFileTests : IDisposable
{
    private readonly TempDatabase _file = new();

    [Fact]
    public async Task Two_hundred_concurrent_writes_of_different_grains_to_one_file_all_succeed()
    {
        var storage = Storage(_file.Open());

        var written = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var state = new TestGrainState<ContractState>(new ContractState { Count = i });
            await storage.WriteStateAsync("s", GrainId.Create("busy", $"g{i}"), state);
            return state.ETag;
        })));

        Assert.All(written, etag => Assert.Equal("1", etag));
    }

    [Fact]
    public async Task Writers_of_two_silos_on_one_file_take_turns_and_exactly_one_of_50_with_the_same_etag_wins()
    {
        // Two silos of one process on one file: each has its own SqliteDatabase.
        var storages = new[] { Storage(_file.Open()), Storage(_file.Open()) };
        var grain = GrainId.Create("busy", "contended");
        await storages[0].WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState { Name = "start" }));

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            try
            {
                await storages[i % 2].WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState { Name = $"w{i}" }, "1"));
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
    public async Task Grain_state_reminders_and_the_ledger_on_one_file_use_separate_tables()
    {
        var database = _file.Open();
        await Storage(database).WriteStateAsync("s", GrainId.Create("t", "k"), new TestGrainState<ContractState>(new ContractState()));
        await new SqliteReminderTable(database).UpsertRow(new ReminderEntry
        {
            GrainId = GrainId.Create("t", "k"), ReminderName = "r", StartAt = DateTime.UtcNow, Period = TimeSpan.FromMinutes(1),
        });

        var tables = await database.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "select name from sqlite_master where type = 'table' and name like 'orleans_%' order by name";
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                names.Add(reader.GetString(0));
            }
            return names;
        });

        Assert.Equal(["orleans_grain_state", "orleans_reminder_etag", "orleans_reminders"], tables);
    }

    [Fact]
    public async Task A_read_is_not_blocked_by_a_write_in_progress_and_sees_the_last_commit()
    {
        var database = _file.Open();
        var storage = Storage(database);
        var grain = GrainId.Create("busy", "reader");
        await storage.WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState { Name = "committed" }));
        var writing = new TaskCompletionSource();
        var finish = new TaskCompletionSource();

        var write = database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "update orleans_grain_state set payload = null where grain_key = 'reader'";
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

        Assert.Equal((true, "committed"), (read.RecordExists, read.State.Name));
    }

    [Fact]
    public async Task State_and_reminders_written_before_the_file_was_closed_read_back_after_reopening_it()
    {
        var grain = GrainId.Create("durable", "g1");
        var first = _file.Open();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "kept", Count = 2 });
        await Storage(first).WriteStateAsync("s", grain, state);
        await Storage(first).WriteStateAsync("s", grain, state);
        var reminder = new ReminderEntry
        {
            GrainId = grain, ReminderName = "wake", StartAt = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(7), Period = TimeSpan.FromMinutes(3),
        };
        var etag = await new SqliteReminderTable(first).UpsertRow(reminder);
        first.Dispose();

        var reopened = _file.Open();
        var read = new TestGrainState<ContractState>(new ContractState());
        await Storage(reopened).ReadStateAsync("s", grain, read);
        var table = new SqliteReminderTable(reopened);
        var readReminder = await table.ReadRow(grain, "wake");
        var next = await table.UpsertRow(reminder);

        Assert.Equal(("2", "kept", 2), (read.ETag, read.State.Name, read.State.Count));
        Assert.Equal((reminder.StartAt, reminder.Period, etag), (readReminder?.StartAt, readReminder?.Period, readReminder?.ETag));
        Assert.NotEqual(etag, next);
    }

    [Fact]
    public async Task A_file_that_cannot_be_opened_fails_with_StorageUnavailableException_naming_the_file()
    {
        // A folder where the file should be: SQLite cannot open it.
        var blocked = Path.Combine(_file.Folder, "blocked.db");
        Directory.CreateDirectory(blocked);
        var database = _file.Track(new SqliteDatabase(blocked));
        var storage = Storage(database);
        var table = new SqliteReminderTable(database);

        var write = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            storage.WriteStateAsync("s", GrainId.Create("busy", "x"), new TestGrainState<ContractState>(new ContractState())));
        var read = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            storage.ReadStateAsync("s", GrainId.Create("busy", "x"), new TestGrainState<ContractState>(new ContractState())));
        var start = await Assert.ThrowsAsync<StorageUnavailableException>(() => table.StartAsync());

        Assert.All(new[] { write, read, start }, error => Assert.Contains(blocked, error.Message));
        Assert.IsType<SqliteException>(write.InnerException);
    }

    [Fact]
    public async Task A_file_locked_by_another_writer_beyond_the_busy_timeout_fails_as_unavailable_and_works_once_released()
    {
        var database = _file.Open(new SqliteOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        var storage = Storage(database);
        var grain = GrainId.Create("busy", "locked");
        var state = new TestGrainState<ContractState>(new ContractState { Name = "before" });
        await storage.WriteStateAsync("s", grain, state);
        // Another process's writer, as far as the file can tell: its own connection, outside this process's write gate.
        await using var other = new SqliteConnection($"Data Source={_file.FilePath};Pooling=False");
        await other.OpenAsync();
        await using (var lockIt = other.CreateCommand())
        {
            lockIt.CommandText = "begin immediate";
            await lockIt.ExecuteNonQueryAsync();
        }

        state.State = new ContractState { Name = "after" };
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.WriteStateAsync("s", grain, state));

        Assert.Contains(_file.FilePath, error.Message);
        Assert.Equal("1", state.ETag);
        await using (var release = other.CreateCommand())
        {
            release.CommandText = "rollback";
            await release.ExecuteNonQueryAsync();
        }
        await storage.WriteStateAsync("s", grain, state);
        Assert.Equal("2", state.ETag);
    }

    [Fact]
    public async Task A_file_of_the_retired_runtime_keeps_its_tables_and_the_providers_start_beside_them()
    {
        var database = _file.Open();
        await database.WriteAsync(async (connection, transaction, token) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText =
                """
                create table atlas_grain_state (grain_type text, grain_key text, state_name text, version integer, payload blob, modified_at text);
                insert into atlas_grain_state values ('t', 'k', 's', 4, x'7b7d', 'then');
                """;
            return await command.ExecuteNonQueryAsync(token);
        });
        var storage = Storage(database);

        await storage.StartAsync();
        var read = new TestGrainState<ContractState>(new ContractState());
        await storage.ReadStateAsync("s", GrainId.Create("t", "k"), read);
        await storage.WriteStateAsync("s", GrainId.Create("t", "k"), read);

        Assert.True(await SqliteStorageSchema.HasRetiredTablesAsync(database));
        Assert.Equal("1", read.ETag);
    }

    private static SqliteGrainStorage Storage(SqliteDatabase database) =>
        new("file-tests", database, StorageSerialization.Serializer, StorageSerialization.Activators);

    public void Dispose() => _file.Dispose();
}
