using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>Orleans' ADO.NET reminder table (10.4.2) on Atlas' PostgreSQL schema.</summary>
[Collection(PostgresStorageCollection.Name)]
public sealed class PostgresReminderTableTests(PostgresStorageSiloFixture silo)
{
    private Task<IReminderTable> TableAsync(string test) => silo.CreateReminderTableAsync(PostgresTestSilo.NewServiceId(test));

    private static GrainId Grain(string key) => GrainId.Create("postgresnote", key);

    // PostgreSQL keeps microseconds; a start time with finer ticks would come back rounded.
    private static DateTime At(int secondsFromNow)
    {
        var at = DateTime.UtcNow.AddSeconds(secondsFromNow);
        return new DateTime(at.Ticks - at.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    private static ReminderEntry Entry(GrainId grain, string name, DateTime? startAt = null, TimeSpan? period = null) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = startAt ?? At(60),
        Period = period ?? TimeSpan.FromMinutes(1),
    };

    [Fact]
    public void The_silos_reminder_table_is_Orleans_AdoNet_table() =>
        Assert.Equal("Orleans.Runtime.ReminderService.AdoNetReminderTable", silo.Services.GetRequiredService<IReminderTable>().GetType().FullName);

    [Fact]
    public async Task An_upserted_reminder_reads_back_with_its_etag()
    {
        var table = await TableAsync("upsert-read");
        var entry = Entry(Grain("a"), "backstop", At(90), TimeSpan.FromMinutes(5));

        var etag = await table.UpsertRow(entry);

        Assert.False(string.IsNullOrEmpty(etag));
        var read = await table.ReadRow(Grain("a"), "backstop");
        Assert.NotNull(read);
        Assert.Equal(Grain("a"), read.GrainId);
        Assert.Equal("backstop", read.ReminderName);
        Assert.Equal(entry.StartAt, read.StartAt);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
        Assert.Equal(TimeSpan.FromMinutes(5), read.Period);
        Assert.Equal(etag, read.ETag);
    }

    [Fact]
    public async Task Upserting_again_replaces_the_reminder_under_a_new_etag()
    {
        var table = await TableAsync("upsert-again");
        var first = await table.UpsertRow(Entry(Grain("a"), "r", period: TimeSpan.FromMinutes(1)));

        var second = await table.UpsertRow(Entry(Grain("a"), "r", period: TimeSpan.FromMinutes(2)));

        Assert.NotEqual(first, second);
        var read = Assert.Single((await table.ReadRows(Grain("a"))).Reminders);
        Assert.Equal(TimeSpan.FromMinutes(2), read.Period);
        Assert.Equal(second, read.ETag);
    }

    [Fact]
    public async Task A_period_beyond_int_milliseconds_round_trips()
    {
        var table = await TableAsync("long-period");
        var period = TimeSpan.FromDays(40); // 3.5e9 ms: the provider binds it as bigint

        await table.UpsertRow(Entry(Grain("a"), "monthly", period: period));

        Assert.Equal(period, (await table.ReadRow(Grain("a"), "monthly"))!.Period);
    }

    [Fact]
    public async Task Reading_by_grain_returns_that_grains_reminders_only()
    {
        var table = await TableAsync("by-grain");
        await table.UpsertRow(Entry(Grain("a"), "one"));
        await table.UpsertRow(Entry(Grain("a"), "two"));
        await table.UpsertRow(Entry(Grain("b"), "one"));

        var rows = (await table.ReadRows(Grain("a"))).Reminders;

        Assert.Equal(["one", "two"], rows.Select(r => r.ReminderName).Order());
        Assert.All(rows, r => Assert.Equal(Grain("a"), r.GrainId));
        Assert.Null(await table.ReadRow(Grain("b"), "two"));
        Assert.Empty((await table.ReadRows(Grain("c"))).Reminders);
    }

    [Fact]
    public async Task Reading_a_ring_range_returns_the_reminders_whose_grain_hash_is_in_it_also_where_it_wraps()
    {
        var table = await TableAsync("ring");
        var grains = Enumerable.Range(0, 96).Select(i => Grain($"g{i}")).ToArray();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain, "r"));
        }
        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToArray();
        uint Hash(int index) => hashes[index];

        // (begin, end] on the ring of unsigned hashes. The provider picks a query by comparing them as signed ints.
        (uint Begin, uint End, string Case)[] ranges =
        [
            (0x1000_0000, 0x7000_0000, "within the positive ints"),
            (0x9000_0000, 0xE000_0000, "within the negative ints"),
            (0x7000_0000, 0x9000_0000, "across int.MaxValue: signed, begin > end"),
            (0xF000_0000, 0x2000_0000, "wrapping past uint.MaxValue: signed, begin < end"),
            (0xC000_0000, 0xB000_0000, "wrapping, nearly the whole ring"),
            (0x4000_0000, 0x4000_0000, "the whole ring"),
            (Hash(10), Hash(40), "from one grain's hash (excluded) to another's (included)"),
            (Hash(80), Hash(5), "wrapping, from one grain's hash to another's"),
        ];
        foreach (var (begin, end, @case) in ranges)
        {
            var expected = grains.Where(g => InRange(g.GetUniformHashCode(), begin, end)).Order().ToArray();

            var actual = (await table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId).Order().ToArray();

            Assert.True(expected.SequenceEqual(actual), $"{@case} ({begin:X8}, {end:X8}]: expected {expected.Length} grains, got {actual.Length}");
        }
    }

    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    [Fact]
    public async Task Removing_with_a_stale_etag_keeps_the_reminder_and_with_the_current_one_deletes_it()
    {
        var table = await TableAsync("remove");
        var stale = await table.UpsertRow(Entry(Grain("a"), "r"));
        var current = await table.UpsertRow(Entry(Grain("a"), "r"));

        Assert.False(await table.RemoveRow(Grain("a"), "r", stale!));
        Assert.NotNull(await table.ReadRow(Grain("a"), "r"));

        Assert.True(await table.RemoveRow(Grain("a"), "r", current!));
        Assert.Null(await table.ReadRow(Grain("a"), "r"));
        Assert.False(await table.RemoveRow(Grain("a"), "r", current!));
    }

    [Fact]
    public async Task An_etag_from_before_a_removal_cannot_remove_the_reminder_registered_again()
    {
        var table = await TableAsync("reregister");
        var old = await table.UpsertRow(Entry(Grain("a"), "r"));
        Assert.True(await table.RemoveRow(Grain("a"), "r", old!));
        var renewed = await table.UpsertRow(Entry(Grain("a"), "r"));

        Assert.NotEqual(old, renewed);
        Assert.False(await table.RemoveRow(Grain("a"), "r", old!));
        Assert.Equal(renewed, (await table.ReadRow(Grain("a"), "r"))!.ETag);
    }

    [Fact]
    public async Task Clearing_the_table_deletes_the_reminders_of_its_service_only()
    {
        var mine = await TableAsync("clear-mine");
        var theirs = await TableAsync("clear-theirs");
        await mine.UpsertRow(Entry(Grain("a"), "r"));
        await theirs.UpsertRow(Entry(Grain("a"), "r"));

        await mine.TestOnlyClearTable();

        Assert.Null(await mine.ReadRow(Grain("a"), "r"));
        Assert.NotNull(await theirs.ReadRow(Grain("a"), "r"));
    }
}
