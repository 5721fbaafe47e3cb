using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Atlas.Hosting.Tests.Storage.Postgres;

/// <summary>Orleans' <see cref="AdoNetGrainStorage"/> (10.4.2) on Atlas' PostgreSQL schema.</summary>
[Collection(PostgresStorageCollection.Name)]
public sealed class PostgresGrainStorageTests(PostgresStorageSiloFixture silo)
{
    private const string StateName = "note";

    private static GrainId Grain(string key) => GrainId.Create("postgresnote", key);

    private static GrainState<PostgresNote> Note(string text, string? etag = null) => new() { State = new PostgresNote { Text = text }, ETag = etag };

    private async Task<(AdoNetGrainStorage Storage, string ServiceId)> StorageAsync(string test)
    {
        var serviceId = PostgresTestSilo.NewServiceId(test);
        return (await silo.CreateGrainStorageAsync(serviceId), serviceId);
    }

    private static async Task<GrainState<PostgresNote>> ReadAsync(IGrainStorage storage, GrainId grain)
    {
        var state = new GrainState<PostgresNote>();
        await storage.ReadStateAsync(StateName, grain, state);
        return state;
    }

    private async Task<(byte[]? Payload, int Version)[]> RowsAsync(string serviceId)
    {
        await using var command = silo.DataSource.CreateCommand("select payload, version from orleans_grain_state where service_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(byte[]?, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.IsDBNull(0) ? null : (byte[])reader[0], reader.GetInt32(1)));
        }
        return [.. rows];
    }

    [Fact]
    public async Task Reading_a_state_never_written_gives_a_new_state_without_etag()
    {
        var (storage, _) = await StorageAsync("read-missing");

        var state = await ReadAsync(storage, Grain("nobody"));

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(new PostgresNote(), state.State);
    }

    [Fact]
    public async Task First_write_inserts_the_state_at_version_1()
    {
        var (storage, serviceId) = await StorageAsync("first-write");
        var written = Note("hello");

        await storage.WriteStateAsync(StateName, Grain("a"), written);

        Assert.Equal("1", written.ETag);
        Assert.True(written.RecordExists);
        var read = await ReadAsync(storage, Grain("a"));
        Assert.Equal("hello", read.State!.Text);
        Assert.Equal("1", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(1, Assert.Single(await RowsAsync(serviceId)).Version);
    }

    [Fact]
    public async Task A_first_write_when_the_state_exists_is_refused_and_changes_nothing()
    {
        var (storage, _) = await StorageAsync("insert-if-absent");
        await storage.WriteStateAsync(StateName, Grain("a"), Note("first"));

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("a"), Note("second")));

        var read = await ReadAsync(storage, Grain("a"));
        Assert.Equal("first", read.State!.Text);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task Racing_first_writers_store_exactly_one_state()
    {
        var (storage, serviceId) = await StorageAsync("racing-inserts");

        var writes = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => storage.WriteStateAsync(StateName, Grain("contended"), Note($"writer {i}"))))
            .ToArray();
        var outcome = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                await w;
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        Assert.Equal(1, outcome.Count(won => won));
        Assert.Single(await RowsAsync(serviceId));
        Assert.StartsWith("writer ", (await ReadAsync(storage, Grain("contended"))).State!.Text);
    }

    [Fact]
    public async Task A_write_at_the_current_version_stores_the_state_at_the_next_version()
    {
        var (storage, _) = await StorageAsync("fenced-update");
        await storage.WriteStateAsync(StateName, Grain("a"), Note("v1"));
        var state = await ReadAsync(storage, Grain("a"));

        state.State = state.State! with { Text = "v2" };
        await storage.WriteStateAsync(StateName, Grain("a"), state);

        Assert.Equal("2", state.ETag);
        var read = await ReadAsync(storage, Grain("a"));
        Assert.Equal("v2", read.State!.Text);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task A_stale_writer_gets_InconsistentStateException_and_changes_nothing()
    {
        var (storage, _) = await StorageAsync("stale-writer");
        await storage.WriteStateAsync(StateName, Grain("a"), Note("v1"));
        var first = await ReadAsync(storage, Grain("a"));
        var stale = await ReadAsync(storage, Grain("a"));
        first.State = first.State! with { Text = "winner" };
        await storage.WriteStateAsync(StateName, Grain("a"), first);

        stale.State = stale.State! with { Text = "loser" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("a"), stale));

        var read = await ReadAsync(storage, Grain("a"));
        Assert.Equal("winner", read.State!.Text);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task Clearing_keeps_a_tombstone_whose_version_the_next_write_continues()
    {
        var (storage, serviceId) = await StorageAsync("clear-then-write");
        var state = Note("to be cleared");
        await storage.WriteStateAsync(StateName, Grain("a"), state);

        await storage.ClearStateAsync(StateName, Grain("a"), state);

        Assert.Equal("2", state.ETag);
        Assert.False(state.RecordExists);
        var row = Assert.Single(await RowsAsync(serviceId));
        Assert.Null(row.Payload);
        Assert.Equal(2, row.Version);
        var cleared = await ReadAsync(storage, Grain("a"));
        Assert.False(cleared.RecordExists);
        Assert.Equal("2", cleared.ETag);
        Assert.Equal(new PostgresNote(), cleared.State);

        cleared.State = new PostgresNote { Text = "written again" };
        await storage.WriteStateAsync(StateName, Grain("a"), cleared);

        Assert.Equal("3", cleared.ETag);
        Assert.Equal("written again", (await ReadAsync(storage, Grain("a"))).State!.Text);
    }

    [Fact]
    public async Task A_writer_from_before_a_clear_is_refused_after_it()
    {
        var (storage, _) = await StorageAsync("stale-after-clear");
        await storage.WriteStateAsync(StateName, Grain("a"), Note("v1"));
        var clearer = await ReadAsync(storage, Grain("a"));
        var stale = await ReadAsync(storage, Grain("a"));
        await storage.ClearStateAsync(StateName, Grain("a"), clearer);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("a"), stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("a"), Note("never read")));

        Assert.False((await ReadAsync(storage, Grain("a"))).RecordExists);
    }

    [Fact]
    public async Task Clearing_with_a_stale_etag_is_refused_and_changes_nothing()
    {
        var (storage, _) = await StorageAsync("stale-clear");
        await storage.WriteStateAsync(StateName, Grain("a"), Note("v1"));
        var stale = await ReadAsync(storage, Grain("a"));
        var current = await ReadAsync(storage, Grain("a"));
        current.State = current.State! with { Text = "v2" };
        await storage.WriteStateAsync(StateName, Grain("a"), current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain("a"), stale));

        var read = await ReadAsync(storage, Grain("a"));
        Assert.Equal("v2", read.State!.Text);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task States_are_kept_apart_by_key_kind_key_extension_state_name_and_service()
    {
        var (storage, _) = await StorageAsync("identity");
        var guid = Guid.NewGuid();
        var grains = new Dictionary<string, GrainId>
        {
            ["string"] = GrainId.Create("postgresnote", "42"),
            ["integer"] = GrainId.Create(GrainType.Create("postgresnote"), GrainIdKeyExtensions.CreateIntegerKey(42)),
            ["integer+ext"] = GrainId.Create(GrainType.Create("postgresnote"), GrainIdKeyExtensions.CreateIntegerKey(42, "x")),
            ["guid"] = GrainId.Create(GrainType.Create("postgresnote"), GrainIdKeyExtensions.CreateGuidKey(guid)),
            ["guid+ext"] = GrainId.Create(GrainType.Create("postgresnote"), GrainIdKeyExtensions.CreateGuidKey(guid, "x")),
        };
        foreach (var (label, grain) in grains)
        {
            await storage.WriteStateAsync(StateName, grain, Note(label));
        }
        await storage.WriteStateAsync("other-state", grains["string"], Note("other state name"));

        foreach (var (label, grain) in grains)
        {
            var read = await ReadAsync(storage, grain);
            Assert.Equal(label, read.State!.Text);
            Assert.Equal("1", read.ETag);
        }
        var otherService = await silo.CreateGrainStorageAsync(PostgresTestSilo.NewServiceId("identity-other"));
        Assert.False((await ReadAsync(otherService, grains["string"])).RecordExists);
    }

    /// <summary>
    /// The provider passes the state name (<c>[PersistentState("ride")]</c>), not the grain type, and the key: grain
    /// types that share keys need state names of their own (Atlas' are: driver, ride, rider, idempotency, probe).
    /// </summary>
    [Fact]
    public async Task Two_grain_types_with_the_same_key_and_state_name_share_one_state()
    {
        var (storage, serviceId) = await StorageAsync("grain-type");
        await storage.WriteStateAsync(StateName, GrainId.Create("postgresnote", "shared-key"), Note("first type"));

        var other = await ReadAsync(storage, GrainId.Create("othernote", "shared-key"));

        Assert.Equal("first type", other.State!.Text);
        Assert.Single(await RowsAsync(serviceId));
    }

    /// <summary>Clearing keeps a tombstone (see <c>OrleansPostgresSchema.Migrations</c>): the schema has no delete query.</summary>
    [Fact]
    public async Task A_storage_configured_to_delete_state_on_clear_fails_to_start()
    {
        var options = silo.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var deleting = new AdoNetGrainStorageOptions
        {
            Invariant = options.Invariant,
            DataSource = options.DataSource,
            GrainStorageSerializer = options.GrainStorageSerializer,
            HashPicker = options.HashPicker,
            DeleteStateOnClear = true,
        };

        var failure = await Assert.ThrowsAsync<ArgumentException>(() => silo.StartGrainStorageAsync(deleting, PostgresTestSilo.NewServiceId("delete-on-clear")));

        Assert.Contains("DeleteStateOnClear", failure.Message);
    }

    [Fact]
    public async Task The_silos_default_storage_is_the_AdoNet_provider_writing_Orleans_binary_payloads()
    {
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);

        var adoNet = Assert.IsType<AdoNetGrainStorage>(storage);
        Assert.IsType<OrleansGrainStorageSerializer>(adoNet.Serializer);
        var (own, serviceId) = await StorageAsync("payload-format");
        var note = new PostgresNote { Text = "binary", Ticks = 7 };
        await own.WriteStateAsync(StateName, Grain("a"), new GrainState<PostgresNote> { State = note });
        var payload = Assert.Single(await RowsAsync(serviceId)).Payload!;
        Assert.NotEqual((byte)'{', payload[0]);
        Assert.Equal(note, silo.Services.GetRequiredService<Serializer>().Deserialize<PostgresNote>(payload));
    }
}
