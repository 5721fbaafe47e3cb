using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Sqlite;

/// <summary>
/// What Atlas expects of an Orleans <see cref="IGrainStorage"/>: ETag-fenced writes (insert only if absent, update only
/// the version read, a conflict changes nothing), clear as a versioned tombstone, independent rows per grain type, key
/// and state name, and faithful round trips. Derive per provider; xUnit creates an instance per test, and every test
/// uses grains of its own.
/// </summary>
public abstract class GrainStorageContract
{
    private const string StateName = "contract";
    private IGrainStorage? _storage;

    /// <summary>The provider under test. Called once per test.</summary>
    protected abstract IGrainStorage CreateStorage();

    protected IGrainStorage Storage => _storage ??= CreateStorage();

    protected static GrainId NewGrain(string type = "contractgrain") => GrainId.Create(type, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Reading_a_state_never_written_finds_no_record_no_etag_and_an_empty_state()
    {
        var state = new TestGrainState<ContractState>(new ContractState { Name = "in memory only" }, "7") { RecordExists = true };

        await Storage.ReadStateAsync(StateName, NewGrain(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal("", state.State.Name);
    }

    [Fact]
    public async Task The_first_write_stores_version_1_and_reads_back()
    {
        var grain = NewGrain();
        var written = new TestGrainState<ContractState>(new ContractState { Name = "first", Count = 1 });

        await Storage.WriteStateAsync(StateName, grain, written);

        Assert.Equal(("1", true), (written.ETag, written.RecordExists));
        var read = await ReadAsync(grain);
        Assert.Equal((true, "1", "first", 1), (read.RecordExists, read.ETag, read.State.Name, read.State.Count));
    }

    [Fact]
    public async Task Each_write_increments_the_version()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState());

        for (var i = 1; i <= 3; i++)
        {
            state.State.Count = i;
            await Storage.WriteStateAsync(StateName, grain, state);
        }

        Assert.Equal("3", state.ETag);
        var read = await ReadAsync(grain);
        Assert.Equal(("3", 3), (read.ETag, read.State.Count));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_naming_both_etags_and_changes_nothing()
    {
        var grain = NewGrain();
        var winner = new TestGrainState<ContractState>(new ContractState { Name = "winner" });
        await Storage.WriteStateAsync(StateName, grain, winner);
        var stale = new TestGrainState<ContractState>(new ContractState { Name = "stale" }, "1");
        await Storage.WriteStateAsync(StateName, grain, winner);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, stale));

        Assert.Equal(("2", "1"), (error.StoredEtag, error.CurrentEtag));
        Assert.Equal("1", stale.ETag);
        var read = await ReadAsync(grain);
        Assert.Equal(("2", "winner"), (read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_write_without_an_etag_is_refused_once_the_state_exists()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "first" }));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "second" })));

        Assert.Equal(("1", null), (error.StoredEtag, error.CurrentEtag));
        Assert.Equal("first", (await ReadAsync(grain)).State.Name);
    }

    [Fact]
    public async Task A_write_with_an_etag_for_a_state_never_written_is_refused()
    {
        var grain = NewGrain();

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState(), "3")));

        Assert.Equal((null, "3"), (error.StoredEtag, error.CurrentEtag));
        Assert.False((await ReadAsync(grain)).RecordExists);
    }

    [Theory]
    [InlineData("W/\"abc\"")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData(" 1")]
    public async Task An_etag_that_is_not_a_stored_version_is_refused(string etag)
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "kept" }));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "lost" }, etag)));

        Assert.Equal(("1", etag), (error.StoredEtag, error.CurrentEtag));
        Assert.Equal("kept", (await ReadAsync(grain)).State.Name);
    }

    [Fact]
    public async Task Clearing_removes_the_record_bumps_the_version_and_leaves_an_empty_state()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "doomed" });
        await Storage.WriteStateAsync(StateName, grain, state);

        await Storage.ClearStateAsync(StateName, grain, state);

        Assert.Equal(("2", false, ""), (state.ETag, state.RecordExists, state.State.Name));
        var read = await ReadAsync(grain);
        Assert.Equal((false, "2", ""), (read.RecordExists, read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_write_with_the_etag_returned_by_a_clear_starts_the_state_afresh()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "before" });
        await Storage.WriteStateAsync(StateName, grain, state);
        await Storage.ClearStateAsync(StateName, grain, state);

        state.State = new ContractState { Name = "after" };
        await Storage.WriteStateAsync(StateName, grain, state);

        Assert.Equal("3", state.ETag);
        var read = await ReadAsync(grain);
        Assert.Equal((true, "3", "after"), (read.RecordExists, read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_writer_holding_the_etag_from_before_a_clear_is_refused()
    {
        var grain = NewGrain();
        var clearer = new TestGrainState<ContractState>(new ContractState { Name = "written" });
        await Storage.WriteStateAsync(StateName, grain, clearer);
        var stale = await ReadAsync(grain);
        await Storage.ClearStateAsync(StateName, grain, clearer);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, stale));

        Assert.Equal(("2", "1"), (error.StoredEtag, error.CurrentEtag));
        Assert.False((await ReadAsync(grain)).RecordExists);
    }

    [Fact]
    public async Task A_writer_without_an_etag_is_refused_after_a_clear()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState());
        await Storage.WriteStateAsync(StateName, grain, state);
        await Storage.ClearStateAsync(StateName, grain, state);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "blind" })));

        Assert.Equal(("2", null), (error.StoredEtag, error.CurrentEtag));
        Assert.False((await ReadAsync(grain)).RecordExists);
    }

    [Fact]
    public async Task A_clear_with_a_stale_etag_is_refused_and_keeps_the_record()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "kept" });
        await Storage.WriteStateAsync(StateName, grain, state);
        await Storage.WriteStateAsync(StateName, grain, state);
        var stale = new TestGrainState<ContractState>(new ContractState { Name = "stale" }, "1");

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync(StateName, grain, stale));

        Assert.Equal(("2", "1"), (error.StoredEtag, error.CurrentEtag));
        Assert.Equal(("1", "stale"), (stale.ETag, stale.State.Name));
        var read = await ReadAsync(grain);
        Assert.Equal((true, "2", "kept"), (read.RecordExists, read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_clear_without_an_etag_is_refused_once_the_state_exists()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "kept" }));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.ClearStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState())));

        Assert.Equal(("1", null), (error.StoredEtag, error.CurrentEtag));
        Assert.Equal("kept", (await ReadAsync(grain)).State.Name);
    }

    [Fact]
    public async Task Clearing_a_state_never_written_stores_nothing_and_the_first_write_still_inserts()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "in memory only" });

        await Storage.ClearStateAsync(StateName, grain, state);

        Assert.Equal((null, false, ""), (state.ETag, state.RecordExists, state.State.Name));
        var read = await ReadAsync(grain);
        Assert.Equal((null, false), (read.ETag, read.RecordExists));
        await Storage.WriteStateAsync(StateName, grain, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task Two_states_of_one_grain_are_independent()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync("profile", grain, new TestGrainState<ContractState>(new ContractState { Name = "profile" }));
        var wallet = new TestGrainState<ContractState>(new ContractState { Name = "wallet" });
        await Storage.WriteStateAsync("wallet", grain, wallet);
        await Storage.WriteStateAsync("wallet", grain, wallet);

        var profile = await ReadAsync(grain, "profile");
        var walletRead = await ReadAsync(grain, "wallet");

        Assert.Equal(("1", "profile"), (profile.ETag, profile.State.Name));
        Assert.Equal(("2", "wallet"), (walletRead.ETag, walletRead.State.Name));
    }

    [Fact]
    public async Task The_same_state_of_two_grains_is_independent()
    {
        var first = NewGrain();
        var second = NewGrain();
        await Storage.WriteStateAsync(StateName, first, new TestGrainState<ContractState>(new ContractState { Name = "first" }));

        await Storage.WriteStateAsync(StateName, second, new TestGrainState<ContractState>(new ContractState { Name = "second" }));

        Assert.Equal(("1", "first"), ((await ReadAsync(first)).ETag, (await ReadAsync(first)).State.Name));
        Assert.Equal(("1", "second"), ((await ReadAsync(second)).ETag, (await ReadAsync(second)).State.Name));
    }

    [Fact]
    public async Task The_same_key_under_two_grain_types_is_two_states()
    {
        var key = Guid.NewGuid().ToString("N");
        var driver = GrainId.Create("driver", key);
        var rider = GrainId.Create("rider", key);
        var driverState = new TestGrainState<ContractState>(new ContractState { Name = "driver" });
        await Storage.WriteStateAsync(StateName, driver, driverState);
        await Storage.WriteStateAsync(StateName, driver, driverState);

        await Storage.WriteStateAsync(StateName, rider, new TestGrainState<ContractState>(new ContractState { Name = "rider" }));

        Assert.Equal(("2", "driver"), ((await ReadAsync(driver)).ETag, (await ReadAsync(driver)).State.Name));
        Assert.Equal(("1", "rider"), ((await ReadAsync(rider)).ETag, (await ReadAsync(rider)).State.Name));
    }

    [Fact]
    public async Task Grains_that_print_alike_as_type_slash_key_are_two_states()
    {
        // Both print as "a/b/c"; the storage keeps the type and the key apart.
        var first = GrainId.Create("a/b", "c");
        var second = GrainId.Create("a", "b/c");
        await Storage.WriteStateAsync(StateName, first, new TestGrainState<ContractState>(new ContractState { Name = "first" }));

        await Storage.WriteStateAsync(StateName, second, new TestGrainState<ContractState>(new ContractState { Name = "second" }));

        Assert.Equal("first", (await ReadAsync(first)).State.Name);
        Assert.Equal("second", (await ReadAsync(second)).State.Name);
    }

    [Fact]
    public async Task Of_50_concurrent_writers_holding_the_same_etag_exactly_one_wins()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "start" }));

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            try
            {
                await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = $"writer-{i}" }, "1"));
                return $"writer-{i}";
            }
            catch (InconsistentStateException)
            {
                return null;
            }
        })));

        var winner = Assert.Single(results, r => r is not null);
        var read = await ReadAsync(grain);
        Assert.Equal(("2", winner), (read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_1_MB_state_round_trips()
    {
        var grain = NewGrain();
        var large = new ContractState { Name = string.Create(1024 * 1024, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)('a' + i % 26);
            }
        }) };

        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(large));

        Assert.Equal(large.Name, (await ReadAsync(grain)).State.Name);
    }

    [Fact]
    public async Task Nested_objects_lists_dictionaries_dates_and_decimals_round_trip()
    {
        var grain = NewGrain();
        var state = new ContractState
        {
            Name = "Zoë – naïve \"quoted\" \\ \u2603",
            Count = int.MinValue,
            Amount = 12345678901234.5678m,
            Id = Guid.NewGuid(),
            AtUtc = new DateTime(2031, 12, 30, 23, 59, 58, DateTimeKind.Utc).AddTicks(1234567),
            AtOffset = new DateTimeOffset(2030, 6, 1, 8, 30, 0, TimeSpan.FromHours(-5)).AddTicks(7),
            Duration = TimeSpan.FromTicks(123456789012),
            Tags = ["a", "", "c"],
            Items = new()
            {
                ["x"] = new ContractItem { Label = "x", Weight = 0.1, Numbers = [1, 2, 3], Child = new ContractItem { Label = "x.child", Weight = -1e-300 } },
                ["y"] = new ContractItem { Label = "y", Weight = double.MaxValue },
            },
            Nested = new ContractItem { Label = "n", Child = new ContractItem { Label = "n.n", Child = new ContractItem { Label = "n.n.n" } } },
        };

        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(state));

        var read = await ReadAsync(grain);
        Assert.Equivalent(state, read.State, strict: true);
        Assert.Equal((state.AtUtc.Kind, state.AtOffset.Offset), (read.State.AtUtc.Kind, read.State.AtOffset.Offset));
    }

    [Fact]
    public async Task A_polymorphic_state_round_trips_with_its_types()
    {
        var grain = NewGrain();
        var state = new ContractState { Shapes = [new ContractCircle(1.5), new ContractRectangle(2, 3), new ContractSquare(4)] };

        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(state));

        Assert.Equal(state.Shapes, (await ReadAsync(grain)).State.Shapes);
    }

    protected async Task<TestGrainState<ContractState>> ReadAsync(GrainId grain, string stateName = StateName)
    {
        var state = new TestGrainState<ContractState>(new ContractState());
        await Storage.ReadStateAsync(stateName, grain, state);
        return state;
    }
}
