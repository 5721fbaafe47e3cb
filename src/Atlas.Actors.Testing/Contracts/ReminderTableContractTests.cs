using Atlas.Actors.Reminders;
using Xunit;

namespace Atlas.Actors.Testing.Contracts;

/// <summary>
/// What every <see cref="IReminderTable"/> must do. Derive a test class per provider and implement
/// <see cref="CreateTable"/>; xUnit creates an instance per test, and each test needs a table that holds only
/// what the test writes (a fresh in-memory table, or a fresh service id).
/// </summary>
public abstract class ReminderTableContractTests
{
    private IReminderTable? _table;

    /// <summary>An empty table, initialized. Called once per test.</summary>
    protected abstract Task<IReminderTable> CreateTable();

    private async Task<IReminderTable> TableAsync() => _table ??= await CreateTable();

    [Fact]
    public async Task Initializing_twice_is_harmless()
    {
        var table = await TableAsync();

        await table.InitializeAsync();
        await table.InitializeAsync();

        Assert.Empty(await table.ReadRowsAsync(0, 0));
    }

    [Fact]
    public async Task A_reminder_never_registered_is_not_found()
    {
        var table = await TableAsync();
        var grain = NewGrain();

        Assert.Null(await table.ReadRowAsync(grain, "missing"));
        Assert.Empty(await table.ReadRowsAsync(grain));
    }

    [Fact]
    public async Task An_upserted_reminder_reads_back_with_the_returned_etag()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");

        var etag = await table.UpsertRowAsync(entry);

        Assert.False(string.IsNullOrEmpty(etag));
        Assert.Equal(entry with { ETag = etag }, await table.ReadRowAsync(entry.GrainId, "wake"));
    }

    [Fact]
    public async Task Upserting_again_replaces_the_reminder_and_changes_its_etag()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var first = await table.UpsertRowAsync(entry);
        var changed = entry with { StartAtUtc = entry.StartAtUtc.AddMinutes(5), Period = TimeSpan.FromHours(1) };

        var second = await table.UpsertRowAsync(changed);

        Assert.NotEqual(first, second);
        Assert.Equal([changed with { ETag = second }], await table.ReadRowsAsync(entry.GrainId));
    }

    [Fact]
    public async Task Removing_with_the_current_etag_deletes_the_reminder()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var etag = await table.UpsertRowAsync(entry);

        Assert.True(await table.RemoveRowAsync(entry.GrainId, "wake", etag));

        Assert.Null(await table.ReadRowAsync(entry.GrainId, "wake"));
    }

    [Fact]
    public async Task Removing_with_a_stale_etag_is_refused_and_keeps_the_reminder()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var stale = await table.UpsertRowAsync(entry);
        var current = await table.UpsertRowAsync(entry);

        Assert.False(await table.RemoveRowAsync(entry.GrainId, "wake", stale));

        Assert.Equal(current, (await table.ReadRowAsync(entry.GrainId, "wake"))?.ETag);
    }

    [Fact]
    public async Task Removing_a_reminder_that_does_not_exist_returns_false()
    {
        var table = await TableAsync();

        Assert.False(await table.RemoveRowAsync(NewGrain(), "missing", "1"));
    }

    [Fact]
    public async Task An_etag_is_not_reused_when_a_removed_reminder_is_registered_again()
    {
        var table = await TableAsync();
        var entry = Entry(NewGrain(), "wake");
        var old = await table.UpsertRowAsync(entry);
        await table.RemoveRowAsync(entry.GrainId, "wake", old);

        var renewed = await table.UpsertRowAsync(entry);

        Assert.NotEqual(old, renewed);
        Assert.False(await table.RemoveRowAsync(entry.GrainId, "wake", old));
        Assert.NotNull(await table.ReadRowAsync(entry.GrainId, "wake"));
    }

    [Fact]
    public async Task Reading_by_grain_returns_all_and_only_that_grains_reminders()
    {
        var table = await TableAsync();
        var grain = NewGrain();
        var other = NewGrain();
        await table.UpsertRowAsync(Entry(grain, "a"));
        await table.UpsertRowAsync(Entry(grain, "b"));
        await table.UpsertRowAsync(Entry(other, "a"));

        var rows = await table.ReadRowsAsync(grain);

        Assert.Equal(["a", "b"], rows.Select(r => r.ReminderName).Order());
        Assert.All(rows, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task The_same_reminder_name_on_two_grains_is_independent()
    {
        var table = await TableAsync();
        var first = Entry(NewGrain(), "wake");
        var second = Entry(NewGrain(), "wake");
        var firstEtag = await table.UpsertRowAsync(first);
        await table.UpsertRowAsync(second);

        await table.RemoveRowAsync(first.GrainId, "wake", firstEtag);

        Assert.Null(await table.ReadRowAsync(first.GrainId, "wake"));
        Assert.NotNull(await table.ReadRowAsync(second.GrainId, "wake"));
    }

    // ---- Ring ranges: (begin, end], wrapping when begin >= end. Grains are found near the ring's edges. ----

    [Fact]
    public async Task A_range_includes_its_end_and_excludes_its_begin()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high"], await NamesInRangeAsync(table, Ring.Middle.PlacementHash, Ring.High.PlacementHash));
        Assert.Equal(["middle"], await NamesInRangeAsync(table, Ring.Middle.PlacementHash - 1, Ring.Middle.PlacementHash));
    }

    [Fact]
    public async Task Hashes_above_int_MaxValue_are_ordered_as_unsigned()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["middle"], await NamesInRangeAsync(table, int.MaxValue, 0x8001_0000));
    }

    [Fact]
    public async Task A_range_ending_at_uint_MaxValue_includes_the_top_of_the_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high"], await NamesInRangeAsync(table, Ring.Middle.PlacementHash, uint.MaxValue));
    }

    [Fact]
    public async Task A_range_beginning_at_zero_includes_the_bottom_of_the_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["low", "middle"], await NamesInRangeAsync(table, 0, Ring.Middle.PlacementHash));
    }

    [Fact]
    public async Task A_range_whose_begin_is_above_its_end_wraps_around_zero()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high", "low"], await NamesInRangeAsync(table, Ring.Middle.PlacementHash, Ring.Low.PlacementHash));
    }

    [Fact]
    public async Task A_range_beginning_at_uint_MaxValue_wraps_to_the_bottom_of_the_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["low"], await NamesInRangeAsync(table, uint.MaxValue, Ring.Middle.PlacementHash - 1));
    }

    [Fact]
    public async Task A_range_whose_begin_equals_its_end_is_the_whole_ring()
    {
        var table = await SeedRingAsync();

        Assert.Equal(["high", "low", "middle"], await NamesInRangeAsync(table, Ring.Middle.PlacementHash, Ring.Middle.PlacementHash));
    }

    private async Task<IReminderTable> SeedRingAsync()
    {
        var table = await TableAsync();
        await table.UpsertRowAsync(Entry(Ring.Low, "low"));
        await table.UpsertRowAsync(Entry(Ring.Middle, "middle"));
        await table.UpsertRowAsync(Entry(Ring.High, "high"));
        return table;
    }

    private static async Task<string[]> NamesInRangeAsync(IReminderTable table, uint beginExclusive, uint endInclusive) =>
        (await table.ReadRowsAsync(beginExclusive, endInclusive)).Select(r => r.ReminderName).Order().ToArray();

    protected static GrainId NewGrain() => new("reminder-contract", Guid.NewGuid().ToString("N"));

    protected static ReminderEntry Entry(GrainId grain, string name) => new()
    {
        GrainId = grain,
        ReminderName = name,
        // Whole milliseconds: stores may keep less than DateTime's 100 ns (PostgreSQL keeps microseconds).
        StartAtUtc = new DateTime(2031, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc),
        Period = TimeSpan.FromSeconds(90),
    };

    /// <summary>Grains whose ring positions lie near the bottom, just above the middle (2^31) and near the top of the ring.</summary>
    private static class Ring
    {
        public static GrainId Low { get; } = Find(h => h <= 0x0000_FFFF);
        public static GrainId Middle { get; } = Find(h => h is >= 0x8000_0000 and <= 0x8000_FFFF);
        public static GrainId High { get; } = Find(h => h >= 0xFFFF_0000);

        private static GrainId Find(Func<uint, bool> wanted)
        {
            for (var i = 0; ; i++)
            {
                var grain = new GrainId("reminder-ring", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (wanted(grain.PlacementHash))
                {
                    return grain;
                }
            }
        }
    }
}
