using System.Globalization;
using Orleans;
using Orleans.Runtime;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>
/// What Atlas expects of an Orleans <see cref="IReminderTable"/>: upsert returns a fresh ETag, removal is fenced by it,
/// ETags are never reused, and ring ranges follow Orleans' <c>(begin, end]</c> with wrap-around (begin ≥ end wraps,
/// begin == end is the whole ring). Derive per provider; xUnit creates an instance per test, and each test needs a
/// table that holds only what it writes.
/// </summary>
public abstract class ReminderTableContract
{
    private IReminderTable? _table;

    /// <summary>An empty table, started. Called once per test.</summary>
    protected abstract Task<IReminderTable> CreateTable();

    private async Task<IReminderTable> TableAsync() => _table ??= await CreateTable();

    [Fact]
    public async Task Starting_twice_is_harmless()
    {
        var table = await TableAsync();

        await table.StartAsync();
        await table.StartAsync();

        Assert.Empty((await table.ReadRows(0, 0)).Reminders);
    }

    [Fact]
    public async Task A_reminder_never_registered_is_not_found()
    {
        var table = await TableAsync();
        var grain = NewGrain();

        Assert.Null(await table.ReadRow(grain, "missing"));
        Assert.Empty((await table.ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task An_upserted_reminder_reads_back_with_the_returned_etag()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");

        var etag = await table.UpsertRow(entry);

        Assert.False(string.IsNullOrEmpty(etag));
        AssertReminder(entry, etag, await table.ReadRow(entry.GrainId, "wake"));
    }

    [Fact]
    public async Task Upserting_again_replaces_the_reminder_and_changes_its_etag()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var first = await table.UpsertRow(entry);
        var changed = Entry(entry.GrainId, "wake", entry.StartAt.AddMinutes(5), TimeSpan.FromHours(1));

        var second = await table.UpsertRow(changed);

        Assert.NotEqual(first, second);
        AssertReminder(changed, second, Assert.Single((await table.ReadRows(entry.GrainId)).Reminders));
    }

    [Fact]
    public async Task Removing_with_the_current_etag_deletes_the_reminder()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var etag = await table.UpsertRow(entry);

        Assert.True(await table.RemoveRow(entry.GrainId, "wake", etag!));

        Assert.Null(await table.ReadRow(entry.GrainId, "wake"));
    }

    [Fact]
    public async Task Removing_with_a_stale_etag_is_refused_and_keeps_the_reminder()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var stale = await table.UpsertRow(entry);
        var current = await table.UpsertRow(entry);

        Assert.False(await table.RemoveRow(entry.GrainId, "wake", stale!));

        Assert.Equal(current, (await table.ReadRow(entry.GrainId, "wake"))?.ETag);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("not-an-etag")]
    [InlineData("")]
    public async Task Removing_a_reminder_that_does_not_exist_returns_false(string etag)
    {
        var table = await TableAsync();

        Assert.False(await table.RemoveRow(NewGrain(), "missing", etag));
    }

    [Fact]
    public async Task An_etag_is_not_reused_when_a_removed_reminder_is_registered_again()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var old = await table.UpsertRow(entry);
        await table.RemoveRow(entry.GrainId, "wake", old!);

        var renewed = await table.UpsertRow(entry);

        Assert.NotEqual(old, renewed);
        Assert.False(await table.RemoveRow(entry.GrainId, "wake", old!));
        Assert.NotNull(await table.ReadRow(entry.GrainId, "wake"));
    }

    [Fact]
    public async Task Reading_by_grain_returns_all_and_only_that_grains_reminders()
    {
        var table = await TableAsync();
        var grain = NewGrain();
        var other = NewGrain();
        await table.UpsertRow(Entry(grain, "a"));
        await table.UpsertRow(Entry(grain, "b"));
        await table.UpsertRow(Entry(other, "a"));

        var rows = (await table.ReadRows(grain)).Reminders;

        Assert.Equal(["a", "b"], rows.Select(r => r.ReminderName).Order());
        Assert.All(rows, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task The_same_reminder_name_on_two_grains_is_independent()
    {
        var table = await TableAsync();
        var first = Entry(NewGrain(), "wake");
        var second = Entry(NewGrain(), "wake");
        var firstEtag = await table.UpsertRow(first);
        await table.UpsertRow(second);

        Assert.True(await table.RemoveRow(first.GrainId, "wake", firstEtag!));

        Assert.Null(await table.ReadRow(first.GrainId, "wake"));
        Assert.NotNull(await table.ReadRow(second.GrainId, "wake"));
    }

    [Fact]
    public async Task The_same_key_under_two_grain_types_is_two_grains()
    {
        var table = await TableAsync();
        var key = Guid.NewGuid().ToString("N");
        await table.UpsertRow(Entry(GrainId.Create("driver", key), "wake"));
        await table.UpsertRow(Entry(GrainId.Create("rider", key), "sleep"));

        Assert.Equal(["wake"], (await table.ReadRows(GrainId.Create("driver", key))).Reminders.Select(r => r.ReminderName));
        Assert.Equal(["sleep"], (await table.ReadRows(GrainId.Create("rider", key))).Reminders.Select(r => r.ReminderName));
    }

    [Fact]
    public async Task A_start_time_of_unspecified_kind_is_taken_as_utc_and_a_local_one_is_converted()
    {
        var table = await TableAsync();
        var grain = NewGrain();
        var utc = new DateTime(2031, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc);
        await table.UpsertRow(Entry(grain, "unspecified", DateTime.SpecifyKind(utc, DateTimeKind.Unspecified)));
        await table.UpsertRow(Entry(grain, "local", utc.ToLocalTime()));

        var unspecified = await table.ReadRow(grain, "unspecified");
        var local = await table.ReadRow(grain, "local");

        Assert.Equal((utc, DateTimeKind.Utc), (unspecified?.StartAt, unspecified?.StartAt.Kind));
        Assert.Equal((utc, DateTimeKind.Utc), (local?.StartAt, local?.StartAt.Kind));
    }

    [Fact]
    public async Task Clearing_the_table_removes_every_reminder_and_keeps_etags_unique()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var before = await table.UpsertRow(entry);
        await table.UpsertRow(Entry(NewGrain(), "other"));

        await table.TestOnlyClearTable();

        Assert.Empty((await table.ReadRows(0, 0)).Reminders);
        Assert.NotEqual(before, await table.UpsertRow(entry));
    }

    // ---- Ring ranges: (begin, end], wrapping when begin >= end. Grains are found near the ring's edges. ----

    [Fact]
    public async Task A_range_includes_its_end_and_excludes_its_begin()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high"], await NamesInRangeAsync(table, Ring.MiddleHash, Ring.HighHash));
        Assert.Equal(["middle"], await NamesInRangeAsync(table, Ring.MiddleHash - 1, Ring.MiddleHash));
    }

    [Fact]
    public async Task Hashes_above_int_MaxValue_are_ordered_as_unsigned()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["middle"], await NamesInRangeAsync(table, int.MaxValue, 0x8001_0000));
        Assert.Equal(["low"], await NamesInRangeAsync(table, 0, int.MaxValue));
    }

    [Fact]
    public async Task A_range_ending_at_uint_MaxValue_includes_the_top_of_the_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high"], await NamesInRangeAsync(table, Ring.MiddleHash, uint.MaxValue));
    }

    [Fact]
    public async Task A_range_beginning_at_zero_includes_the_bottom_of_the_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["low", "middle"], await NamesInRangeAsync(table, 0, Ring.MiddleHash));
    }

    [Fact]
    public async Task A_range_whose_begin_is_above_its_end_wraps_around_zero()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high", "low"], await NamesInRangeAsync(table, Ring.MiddleHash, Ring.LowHash));
        Assert.Equal(["high"], await NamesInRangeAsync(table, Ring.MiddleHash, Ring.LowHash - 1));
    }

    [Fact]
    public async Task A_range_beginning_at_uint_MaxValue_wraps_to_the_bottom_of_the_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["low"], await NamesInRangeAsync(table, uint.MaxValue, Ring.MiddleHash - 1));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]
    public async Task A_range_whose_begin_equals_its_end_is_the_whole_ring(uint point)
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high", "low", "middle"], await NamesInRangeAsync(table, point, point));
    }

    [Fact]
    public async Task A_range_of_a_grains_own_position_on_both_ends_is_the_whole_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high", "low", "middle"], await NamesInRangeAsync(table, Ring.MiddleHash, Ring.MiddleHash));
    }

    [Fact]
    public async Task Ranges_that_split_the_ring_return_every_reminder_exactly_once()
    {
        var table = await SeedRingAsync();
        uint[] cuts = [0x1234_5678, 0x8000_8000, 0xC000_0000, 0xFFFF_8000];

        var names = new List<string>();
        for (var i = 0; i < cuts.Length; i++)
        {
            names.AddRange(await NamesInRangeAsync(table, cuts[i], cuts[(i + 1) % cuts.Length]));
        }

        Assert.Equal(["high", "low", "middle"], names.Order());
    }

    private async Task<IReminderTable> SeedRingAsync()
    {
        var table = await TableAsync();
        await table.UpsertRow(Entry(Ring.Low, "low"));
        await table.UpsertRow(Entry(Ring.Middle, "middle"));
        await table.UpsertRow(Entry(Ring.High, "high"));
        return table;
    }

    private static async Task<string[]> NamesInRangeAsync(IReminderTable table, uint begin, uint end) =>
        (await table.ReadRows(begin, end)).Reminders.Select(r => r.ReminderName).Order().ToArray();

    protected static GrainId NewGrain() => GrainId.Create("remindercontract", Guid.NewGuid().ToString("N"));

    protected static ReminderEntry Entry(GrainId grain, string name, DateTime? startAt = null, TimeSpan? period = null) => new()
    {
        GrainId = grain,
        ReminderName = name,
        // Whole milliseconds: stores may keep less than DateTime's 100 ns (PostgreSQL keeps microseconds).
        StartAt = startAt ?? new DateTime(2031, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc),
        Period = period ?? TimeSpan.FromSeconds(90),
    };

    private static void AssertReminder(ReminderEntry expected, string? etag, ReminderEntry? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(
            (expected.GrainId, expected.ReminderName, expected.StartAt, DateTimeKind.Utc, expected.Period, etag),
            (actual.GrainId, actual.ReminderName, actual.StartAt, actual.StartAt.Kind, actual.Period, actual.ETag));
    }

    /// <summary>Grains whose ring positions lie near the bottom, just above the middle (2^31) and near the top of the ring.</summary>
    private static class Ring
    {
        public static GrainId Low { get; } = Find(h => h <= 0x0000_FFFF);
        public static GrainId Middle { get; } = Find(h => h is >= 0x8000_0000 and <= 0x8000_7FFF);
        public static GrainId High { get; } = Find(h => h >= 0xFFFF_8000 && h < uint.MaxValue);

        public static uint LowHash => Low.GetUniformHashCode();
        public static uint MiddleHash => Middle.GetUniformHashCode();
        public static uint HighHash => High.GetUniformHashCode();

        private static GrainId Find(Func<uint, bool> wanted)
        {
            for (var i = 0; ; i++)
            {
                var grain = GrainId.Create("reminderring", i.ToString(CultureInfo.InvariantCulture));
                if (wanted(grain.GetUniformHashCode()))
                {
                    return grain;
                }
            }
        }
    }
}
