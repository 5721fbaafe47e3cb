using Atlas.Actors.Reminders;
using Atlas.Actors.Serialization;
using Atlas.Actors.Sqlite.Tests.Grains;
using Atlas.Actors.Sqlite.Tests.Infrastructure;
using Atlas.Actors.Testing.Contracts;
using Microsoft.Data.Sqlite;

namespace Atlas.Actors.Sqlite.Tests.Persistence;

/// <summary>What is committed survives closing the process; what is not committed never appears.</summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly TempDatabase _file = new();

    [Fact]
    public async Task State_written_before_the_file_was_closed_reads_back_after_reopening_it()
    {
        var grain = new GrainId("durable", "g1");
        var first = _file.Open();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "kept", Count = 2 });
        await Storage(first).WriteStateAsync("s", grain, state);
        await Storage(first).WriteStateAsync("s", grain, state);
        first.Dispose();

        var read = new TestGrainState<ContractState>(new ContractState());
        await Storage(_file.Open()).ReadStateAsync("s", grain, read);

        Assert.Equal(("2", "kept", 2), (read.ETag, read.State.Name, read.State.Count));
    }

    [Fact]
    public async Task Reminders_and_their_etags_survive_reopening_the_file()
    {
        var first = _file.Open();
        var entry = new ReminderEntry
        {
            GrainId = new GrainId("durable", "r1"),
            ReminderName = "wake",
            StartAtUtc = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(7),
            Period = TimeSpan.FromMinutes(3),
        };
        var etag = await new SqliteReminderTable(first).UpsertRowAsync(entry);
        first.Dispose();

        var table = new SqliteReminderTable(_file.Open());
        var read = await table.ReadRowAsync(entry.GrainId, "wake");
        var next = await table.UpsertRowAsync(entry);

        Assert.Equal(entry with { ETag = etag }, read);
        Assert.NotEqual(etag, next);
    }

    [Fact]
    public async Task A_crash_in_the_middle_of_a_write_leaves_the_file_intact_and_without_any_of_it()
    {
        var database = _file.Open();
        var storage = Storage(database);
        var grain = new GrainId("durable", "crash");
        await storage.WriteStateAsync("s", grain, new TestGrainState<ContractState>(new ContractState { Name = "committed" }));
        var crashCopy = Path.Combine(_file.Folder, "crash-copy");
        Directory.CreateDirectory(crashCopy);

        // A write large enough to spill uncommitted pages into the WAL; the disk is copied as a crash would leave it.
        await Assert.ThrowsAsync<SimulatedCrashException>(() => database.WriteAsync<int>(async (connection, transaction, token) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "update atlas_grain_state set version = 99, payload = $payload where grain_key = 'crash'";
            command.Parameters.AddWithValue("$payload", new byte[4 * 1024 * 1024]);
            await command.ExecuteNonQueryAsync(token);
            for (var i = 0; i < 8; i++)
            {
                command.CommandText = $"insert into atlas_grain_state (grain_type, grain_key, state_name, version, payload, modified_at) values ('durable', 'extra{i}', 's', 1, $payload, 'now')";
                await command.ExecuteNonQueryAsync(token);
            }
            foreach (var file in Directory.GetFiles(_file.Folder))
            {
                File.Copy(file, Path.Combine(crashCopy, Path.GetFileName(file)));
            }
            throw new SimulatedCrashException();
        }));

        using var recovered = new SqliteDatabase(Path.Combine(crashCopy, "atlas.db"));
        var read = new TestGrainState<ContractState>(new ContractState());
        await Storage(recovered).ReadStateAsync("s", grain, read);
        Assert.Equal(("1", "committed"), (read.ETag, read.State.Name));
        Assert.Equal(("ok", 1L), await recovered.ReadAsync(async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "pragma integrity_check";
            var integrity = (string)(await command.ExecuteScalarAsync(token))!;
            command.CommandText = "select count(*) from atlas_grain_state";
            return (integrity, (long)(await command.ExecuteScalarAsync(token))!);
        }));
    }

    [Fact]
    public async Task A_silo_started_again_on_the_same_file_finds_the_grains_state_and_its_reminders_fire_again()
    {
        var ticks = new TickLog();
        var key = Guid.NewGuid().ToString("N");
        await using (var before = await EmbeddedSilo.StartAsync(_file.FilePath, ticks))
        {
            var log = before.GrainFactory.GetGrain<ITripLogGrain>(key);
            await log.AddTrip("t1");
            await log.AddTrip("t2");
            await before.GrainFactory.GetGrain<IAlarmGrain>(key).Schedule("shift", dueMs: 100, periodMs: 1_000);
            await ticks.WaitForTickAsync(key, "shift", after: 0, TimeSpan.FromSeconds(15));
        }
        var ticksBefore = ticks.Count(key, "shift");

        await using var after = await EmbeddedSilo.StartAsync(_file.FilePath, ticks);

        Assert.Equal(["t1", "t2"], await after.GrainFactory.GetGrain<ITripLogGrain>(key).Trips());
        Assert.Equal(3, await after.GrainFactory.GetGrain<ITripLogGrain>(key).AddTrip("t3"));
        await ticks.WaitForTickAsync(key, "shift", after: ticksBefore, TimeSpan.FromSeconds(15));
    }

    private static SqliteGrainStorage Storage(SqliteDatabase database) => new("durable", database, GrainStateSerializer.Default);

    public void Dispose() => _file.Dispose();

    private sealed class SimulatedCrashException : Exception;
}
