using Atlas.Actors.Membership;
using Xunit;

namespace Atlas.Actors.Testing.Contracts;

/// <summary>
/// What every <see cref="IMembershipTable"/> must do: derive, implement <see cref="CreateTableAsync"/> (a new, empty
/// table per call), and the tests below run against it. Times are whole milliseconds, the precision a table must keep.
/// </summary>
public abstract class MembershipTableContractTests
{
    private static readonly DateTime T0 = new(2026, 3, 4, 5, 6, 7, 891, DateTimeKind.Utc);

    /// <summary>A new, empty table that no other test uses.</summary>
    protected abstract Task<IMembershipTable> CreateTableAsync();

    private async Task<IMembershipTable> NewTableAsync()
    {
        var table = await CreateTableAsync();
        await table.InitializeAsync();
        return table;
    }

    private static SiloAddress Silo(int port, long generation = 1) => new("10.0.0.1", port, generation);

    private static MembershipEntry Entry(SiloAddress silo, SiloStatus status = SiloStatus.Active, DateTime? iAmAlive = null) => new()
    {
        Silo = silo,
        Status = status,
        SiloName = $"silo-{silo.Port}",
        HostName = "host-a",
        StartTimeUtc = T0,
        IAmAliveTimeUtc = iAmAlive ?? T0,
    };

    /// <summary>Inserts at the next version and returns the row as stored.</summary>
    private static async Task<VersionedEntry> InsertAsync(IMembershipTable table, MembershipEntry entry)
    {
        var before = await table.ReadAllAsync();
        Assert.True(await table.InsertRowAsync(entry, before.Version.Next()), $"insert of {entry.Silo} was refused");
        return await RowAsync(table, entry.Silo);
    }

    private static async Task<VersionedEntry> RowAsync(IMembershipTable table, SiloAddress silo) =>
        Assert.Single((await table.ReadAllAsync()).Entries, e => e.Entry.Silo == silo);

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.Silo, actual.Silo);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.StartTimeUtc, actual.StartTimeUtc);
        Assert.Equal(expected.IAmAliveTimeUtc, actual.IAmAliveTimeUtc);
        Assert.Equal(expected.SuspectVotes, actual.SuspectVotes);
    }

    // ---- Reading and initializing ------------------------------------------------------------------------------

    [Fact]
    public async Task A_new_table_reads_as_version_zero_with_no_rows()
    {
        var table = await NewTableAsync();

        var snapshot = await table.ReadAllAsync();

        Assert.Equal(0, snapshot.Version.Version);
        Assert.Empty(snapshot.Entries);
    }

    [Fact]
    public async Task Initializing_again_keeps_the_rows_and_the_version()
    {
        var table = await NewTableAsync();
        await InsertAsync(table, Entry(Silo(1)));

        await table.InitializeAsync();

        var snapshot = await table.ReadAllAsync();
        Assert.Equal(1, snapshot.Version.Version);
        Assert.Single(snapshot.Entries);
    }

    // ---- Insert ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Insert_at_the_next_version_adds_the_row_and_bumps_the_version()
    {
        var table = await NewTableAsync();
        var entry = Entry(Silo(1));

        var inserted = await table.InsertRowAsync(entry, new TableVersion(0, "0").Next());

        Assert.True(inserted);
        var snapshot = await table.ReadAllAsync();
        Assert.Equal(1, snapshot.Version.Version);
        var row = Assert.Single(snapshot.Entries);
        AssertSameEntry(entry, row.Entry);
        Assert.False(string.IsNullOrEmpty(row.ETag));
    }

    [Fact]
    public async Task Insert_of_a_silo_that_has_a_row_is_refused_and_changes_nothing()
    {
        var table = await NewTableAsync();
        var original = await InsertAsync(table, Entry(Silo(1)));
        var before = await table.ReadAllAsync();

        var inserted = await table.InsertRowAsync(Entry(Silo(1), SiloStatus.Joining) with { SiloName = "impostor" }, before.Version.Next());

        Assert.False(inserted);
        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version, after.Version.Version);
        var row = Assert.Single(after.Entries);
        AssertSameEntry(original.Entry, row.Entry);
        Assert.Equal(original.ETag, row.ETag);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    public async Task Insert_at_a_version_other_than_the_next_is_refused_and_changes_nothing(int offsetFromStored)
    {
        var table = await NewTableAsync();
        await InsertAsync(table, Entry(Silo(1)));
        var before = await table.ReadAllAsync();

        var inserted = await table.InsertRowAsync(Entry(Silo(2)), before.Version with { Version = before.Version.Version + offsetFromStored });

        Assert.False(inserted);
        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version, after.Version.Version);
        Assert.DoesNotContain(after.Entries, e => e.Entry.Silo == Silo(2));
    }

    [Fact]
    public async Task Of_concurrent_inserts_at_one_version_exactly_one_wins()
    {
        var table = await NewTableAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(1, 20)
            .Select(port => Task.Run(async () =>
            {
                await start.Task;
                return await table.InsertRowAsync(Entry(Silo(port)), new TableVersion(1, "any"));
            }))
            .ToArray();

        start.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, won => won);
        var snapshot = await table.ReadAllAsync();
        Assert.Equal(1, snapshot.Version.Version);
        Assert.Single(snapshot.Entries);
    }

    // ---- Update ------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Update_with_the_current_etag_at_the_next_version_replaces_the_row_and_changes_its_etag()
    {
        var table = await NewTableAsync();
        var original = await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var before = await table.ReadAllAsync();
        var updated = original.Entry with { Status = SiloStatus.Active, IAmAliveTimeUtc = T0.AddSeconds(3) };

        var written = await table.UpdateRowAsync(updated, original.ETag, before.Version.Next());

        Assert.True(written);
        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version + 1, after.Version.Version);
        var row = Assert.Single(after.Entries);
        AssertSameEntry(updated, row.Entry);
        Assert.NotEqual(original.ETag, row.ETag);
    }

    [Fact]
    public async Task Update_with_a_stale_row_etag_is_refused_and_changes_nothing()
    {
        var table = await NewTableAsync();
        var original = await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        Assert.True(await table.UpdateRowAsync(original.Entry with { Status = SiloStatus.Active }, original.ETag, (await table.ReadAllAsync()).Version.Next()));
        var before = await table.ReadAllAsync();
        var current = Assert.Single(before.Entries);

        var written = await table.UpdateRowAsync(original.Entry with { Status = SiloStatus.Dead }, original.ETag, before.Version.Next());

        Assert.False(written);
        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version, after.Version.Version);
        var row = Assert.Single(after.Entries);
        Assert.Equal(SiloStatus.Active, row.Entry.Status);
        Assert.Equal(current.ETag, row.ETag);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Update_at_a_version_other_than_the_next_is_refused_and_changes_nothing(int offsetFromStored)
    {
        var table = await NewTableAsync();
        var original = await InsertAsync(table, Entry(Silo(1), SiloStatus.Joining));
        var before = await table.ReadAllAsync();

        var written = await table.UpdateRowAsync(original.Entry with { Status = SiloStatus.Active }, original.ETag,
            before.Version with { Version = before.Version.Version + offsetFromStored });

        Assert.False(written);
        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version, after.Version.Version);
        var row = Assert.Single(after.Entries);
        Assert.Equal(SiloStatus.Joining, row.Entry.Status);
        Assert.Equal(original.ETag, row.ETag);
    }

    [Fact]
    public async Task Update_of_a_silo_without_a_row_is_refused_and_adds_no_row()
    {
        var table = await NewTableAsync();
        var existing = await InsertAsync(table, Entry(Silo(1)));
        var before = await table.ReadAllAsync();

        var written = await table.UpdateRowAsync(Entry(Silo(2)), existing.ETag, before.Version.Next());

        Assert.False(written);
        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version.Version, after.Version.Version);
        Assert.Single(after.Entries);
    }

    [Fact]
    public async Task Of_20_concurrent_updates_at_one_version_exactly_one_wins_each_round()
    {
        var table = await NewTableAsync();
        var silo = Silo(1);
        await InsertAsync(table, Entry(silo));

        for (var round = 0; round < 5; round++)
        {
            var snapshot = await table.ReadAllAsync();
            var row = Assert.Single(snapshot.Entries);
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = Enumerable.Range(0, 20)
                .Select(writer => Task.Run(async () =>
                {
                    await start.Task;
                    var entry = row.Entry with { SiloName = $"round-{round}-writer-{writer}" };
                    return (entry, won: await table.UpdateRowAsync(entry, row.ETag, snapshot.Version.Next()));
                }))
                .ToArray();

            start.SetResult();
            var results = await Task.WhenAll(attempts);

            var winner = Assert.Single(results, r => r.won);
            var after = await table.ReadAllAsync();
            Assert.Equal(snapshot.Version.Version + 1, after.Version.Version);
            Assert.Equal(winner.entry.SiloName, Assert.Single(after.Entries).Entry.SiloName);
        }
    }

    // ---- IAmAlive ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task IAmAlive_changes_only_the_timestamp_not_the_version_nor_the_etag()
    {
        var table = await NewTableAsync();
        var original = await InsertAsync(table, Entry(Silo(1)));
        var before = await table.ReadAllAsync();

        await table.UpdateIAmAliveAsync(Silo(1), T0.AddMinutes(5));

        var after = await table.ReadAllAsync();
        Assert.Equal(before.Version, after.Version);
        var row = Assert.Single(after.Entries);
        Assert.Equal(original.ETag, row.ETag);
        AssertSameEntry(original.Entry with { IAmAliveTimeUtc = T0.AddMinutes(5) }, row.Entry);
    }

    [Fact]
    public async Task A_row_refreshed_by_IAmAlive_can_still_be_updated_with_its_etag()
    {
        var table = await NewTableAsync();
        var original = await InsertAsync(table, Entry(Silo(1)));
        await table.UpdateIAmAliveAsync(Silo(1), T0.AddMinutes(5));

        var written = await table.UpdateRowAsync(original.Entry with { Status = SiloStatus.ShuttingDown }, original.ETag,
            (await table.ReadAllAsync()).Version.Next());

        Assert.True(written);
    }

    [Fact]
    public async Task IAmAlive_of_a_silo_without_a_row_adds_no_row()
    {
        var table = await NewTableAsync();

        await table.UpdateIAmAliveAsync(Silo(1), T0);

        var snapshot = await table.ReadAllAsync();
        Assert.Empty(snapshot.Entries);
        Assert.Equal(0, snapshot.Version.Version);
    }

    // ---- Cleanup -----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Cleanup_removes_dead_rows_older_than_the_cutoff_and_keeps_all_others()
    {
        var table = await NewTableAsync();
        var cutoff = T0.AddHours(1);
        var deadOld = Silo(1);
        var deadRecent = Silo(2);
        var activeOld = Silo(3);
        var deadAtCutoff = Silo(4);
        await InsertAsync(table, Entry(deadOld, SiloStatus.Dead, iAmAlive: cutoff.AddMilliseconds(-1)));
        await InsertAsync(table, Entry(deadRecent, SiloStatus.Dead, iAmAlive: cutoff.AddMinutes(1)));
        await InsertAsync(table, Entry(activeOld, SiloStatus.Active, iAmAlive: cutoff.AddDays(-2)));
        await InsertAsync(table, Entry(deadAtCutoff, SiloStatus.Dead, iAmAlive: cutoff));

        await table.CleanupDefunctEntriesAsync(cutoff);

        var remaining = (await table.ReadAllAsync()).Entries.Select(e => e.Entry.Silo).ToHashSet();
        Assert.Equal(new HashSet<SiloAddress> { deadRecent, activeOld, deadAtCutoff }, remaining);
    }

    [Fact]
    public async Task Cleanup_judges_age_by_the_latest_IAmAlive()
    {
        var table = await NewTableAsync();
        var cutoff = T0.AddHours(1);
        await InsertAsync(table, Entry(Silo(1), SiloStatus.Dead, iAmAlive: cutoff.AddHours(-1)));
        await table.UpdateIAmAliveAsync(Silo(1), cutoff.AddSeconds(1));

        await table.CleanupDefunctEntriesAsync(cutoff);

        Assert.Single((await table.ReadAllAsync()).Entries);
    }

    // ---- Round trip --------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_row_round_trips_every_field()
    {
        var table = await NewTableAsync();
        var entry = new MembershipEntry
        {
            Silo = new SiloAddress("silo-7.atlas.internal", 30007, 98_765_432_109),
            Status = SiloStatus.ShuttingDown,
            SiloName = "silo \"seven\" | ü @:{}",
            HostName = "host-ß\\n",
            StartTimeUtc = T0,
            IAmAliveTimeUtc = T0.AddMilliseconds(1),
            SuspectVotes =
            [
                new SuspectVote(new SiloAddress("10.0.0.2", 11111, 12), T0.AddMilliseconds(2)),
                new SuspectVote(new SiloAddress("10.0.0.3", 11112, 13), T0.AddSeconds(59).AddMilliseconds(999)),
            ],
        };

        Assert.True(await table.InsertRowAsync(entry, new TableVersion(1, "1")));

        var row = Assert.Single((await table.ReadAllAsync()).Entries);
        AssertSameEntry(entry, row.Entry);
    }

    [Theory]
    [InlineData(SiloStatus.Created)]
    [InlineData(SiloStatus.Joining)]
    [InlineData(SiloStatus.Active)]
    [InlineData(SiloStatus.ShuttingDown)]
    [InlineData(SiloStatus.Stopping)]
    [InlineData(SiloStatus.Dead)]
    public async Task Every_status_round_trips(SiloStatus status)
    {
        var table = await NewTableAsync();

        Assert.True(await table.InsertRowAsync(Entry(Silo(1), status), new TableVersion(1, "1")));

        Assert.Equal(status, Assert.Single((await table.ReadAllAsync()).Entries).Entry.Status);
    }

    [Fact]
    public async Task Rows_of_several_silos_and_generations_are_kept_apart()
    {
        var table = await NewTableAsync();
        var silos = new[] { Silo(1, generation: 1), Silo(1, generation: 2), Silo(2, generation: 1) };
        foreach (var silo in silos)
        {
            await InsertAsync(table, Entry(silo) with { SiloName = silo.ToString() });
        }

        var snapshot = await table.ReadAllAsync();

        Assert.Equal(3, snapshot.Version.Version);
        Assert.Equal(silos.ToHashSet(), snapshot.Entries.Select(e => e.Entry.Silo).ToHashSet());
        Assert.All(snapshot.Entries, e => Assert.Equal(e.Entry.Silo.ToString(), e.Entry.SiloName));
        Assert.Equal(3, snapshot.Entries.Select(e => e.ETag).Distinct().Count());
    }
}
