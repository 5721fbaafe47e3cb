using Atlas.Actors.Persistence;
using Xunit;

namespace Atlas.Actors.Testing.Contracts;

/// <summary>
/// What every <see cref="IGrainStorage"/> must do, whatever it stores in. Derive a test class per provider and
/// implement <see cref="CreateStorage"/>; xUnit creates an instance per test, and every test uses grains of its own.
/// </summary>
public abstract class GrainStorageContractTests
{
    private const string StateName = "contract";
    private IGrainStorage? _storage;

    /// <summary>The provider under test. Called once per test.</summary>
    protected abstract IGrainStorage CreateStorage();

    protected IGrainStorage Storage => _storage ??= CreateStorage();

    protected static GrainId NewGrain(string type = "contract-grain") => new(type, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Reading_a_state_never_written_finds_no_record_and_no_etag()
    {
        var state = new TestGrainState<ContractState>(new ContractState { Name = "untouched" }, etag: "7") { RecordExists = true };

        await Storage.ReadStateAsync(StateName, NewGrain(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal("untouched", state.State.Name);
    }

    [Fact]
    public async Task The_first_write_stores_version_1_and_reads_back()
    {
        var grain = NewGrain();
        var written = new TestGrainState<ContractState>(new ContractState { Name = "first", Count = 1 });

        await Storage.WriteStateAsync(StateName, grain, written);

        Assert.Equal("1", written.ETag);
        Assert.True(written.RecordExists);
        var read = await ReadAsync(grain);
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.ETag);
        Assert.Equal("first", read.State.Name);
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
        Assert.Equal("3", read.ETag);
        Assert.Equal(3, read.State.Count);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_naming_both_versions_and_changes_nothing()
    {
        var grain = NewGrain();
        var winner = new TestGrainState<ContractState>(new ContractState { Name = "winner" });
        await Storage.WriteStateAsync(StateName, grain, winner);
        var stale = new TestGrainState<ContractState>(new ContractState { Name = "stale" }, etag: "1");
        await Storage.WriteStateAsync(StateName, grain, winner);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, stale));

        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        Assert.Equal("1", stale.ETag);
        var read = await ReadAsync(grain);
        Assert.Equal(("2", "winner"), (read.ETag, read.State.Name));
    }

    [Fact]
    public async Task A_second_write_without_an_etag_is_refused()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "first" }));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "second" })));

        Assert.Equal("1", error.StoredEtag);
        Assert.Null(error.CurrentEtag);
        Assert.Equal("first", (await ReadAsync(grain)).State.Name);
    }

    [Fact]
    public async Task A_write_with_an_etag_for_a_state_never_written_is_refused()
    {
        var grain = NewGrain();

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState(), etag: "3")));

        Assert.Null(error.StoredEtag);
        Assert.Equal("3", error.CurrentEtag);
        Assert.False((await ReadAsync(grain)).RecordExists);
    }

    [Fact]
    public async Task An_etag_that_is_not_a_version_is_refused()
    {
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.WriteStateAsync(StateName, NewGrain(), new TestGrainState<ContractState>(new ContractState(), etag: "W/\"abc\"")));
    }

    [Fact]
    public async Task Clearing_removes_the_record_and_bumps_the_version()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "doomed" });
        await Storage.WriteStateAsync(StateName, grain, state);

        await Storage.ClearStateAsync(StateName, grain, state);

        Assert.Equal("2", state.ETag);
        Assert.False(state.RecordExists);
        var read = await ReadAsync(grain);
        Assert.False(read.RecordExists);
        Assert.Equal("2", read.ETag);
        Assert.Equal("", read.State.Name);
    }

    [Fact]
    public async Task A_writer_holding_the_etag_from_before_a_clear_is_refused()
    {
        var grain = NewGrain();
        var clearer = new TestGrainState<ContractState>(new ContractState());
        await Storage.WriteStateAsync(StateName, grain, clearer);
        var stale = await ReadAsync(grain);
        await Storage.ClearStateAsync(StateName, grain, clearer);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, grain, stale));

        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        Assert.False((await ReadAsync(grain)).RecordExists);
    }

    [Fact]
    public async Task A_write_with_the_etag_returned_by_a_clear_succeeds()
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
    public async Task A_clear_with_a_stale_etag_is_refused_and_keeps_the_record()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState { Name = "kept" });
        await Storage.WriteStateAsync(StateName, grain, state);
        await Storage.WriteStateAsync(StateName, grain, state);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() =>
            Storage.ClearStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState(), etag: "1")));

        Assert.Equal("2", error.StoredEtag);
        var read = await ReadAsync(grain);
        Assert.Equal((true, "kept"), (read.RecordExists, read.State.Name));
    }

    [Fact]
    public async Task Clearing_a_state_never_written_stores_version_1_without_a_record()
    {
        var grain = NewGrain();
        var state = new TestGrainState<ContractState>(new ContractState());

        await Storage.ClearStateAsync(StateName, grain, state);

        Assert.Equal(("1", false), (state.ETag, state.RecordExists));
        var read = await ReadAsync(grain);
        Assert.Equal(("1", false), (read.ETag, read.RecordExists));
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

        var firstRead = await ReadAsync(first);
        var secondRead = await ReadAsync(second);
        Assert.Equal(("1", "first"), (firstRead.ETag, firstRead.State.Name));
        Assert.Equal(("1", "second"), (secondRead.ETag, secondRead.State.Name));
    }

    [Fact]
    public async Task The_same_key_under_two_grain_types_is_independent()
    {
        var key = Guid.NewGuid().ToString("N");
        await Storage.WriteStateAsync(StateName, new GrainId("driver", key), new TestGrainState<ContractState>(new ContractState { Name = "driver" }));

        await Storage.WriteStateAsync(StateName, new GrainId("rider", key), new TestGrainState<ContractState>(new ContractState { Name = "rider" }));

        Assert.Equal("driver", (await ReadAsync(new GrainId("driver", key))).State.Name);
        Assert.Equal("rider", (await ReadAsync(new GrainId("rider", key))).State.Name);
    }

    [Fact]
    public async Task Of_50_concurrent_writers_holding_the_same_etag_exactly_one_wins()
    {
        var grain = NewGrain();
        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = "start" }));

        var attempts = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            try
            {
                await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(new ContractState { Name = $"writer-{i}" }, etag: "1"));
                return $"writer-{i}";
            }
            catch (InconsistentStateException)
            {
                return null;
            }
        })).ToArray();
        var results = await Task.WhenAll(attempts);

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
    public async Task Nested_objects_lists_dictionaries_and_dates_round_trip()
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
        Assert.Equal(state.AtOffset.Offset, read.State.AtOffset.Offset);
    }

    [Fact]
    public async Task A_polymorphic_state_round_trips()
    {
        var grain = NewGrain();
        var state = new ContractState { Shapes = [new ContractCircle(1.5), new ContractRectangle(2, 3), new ContractSquare(4)] };

        await Storage.WriteStateAsync(StateName, grain, new TestGrainState<ContractState>(state));

        Assert.Equal(state.Shapes, (await ReadAsync(grain)).State.Shapes);
    }

    private async Task<TestGrainState<ContractState>> ReadAsync(GrainId grain, string stateName = StateName)
    {
        var state = new TestGrainState<ContractState>(new ContractState());
        await Storage.ReadStateAsync(stateName, grain, state);
        return state;
    }
}
