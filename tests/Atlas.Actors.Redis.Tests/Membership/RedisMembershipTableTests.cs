using System.Diagnostics;
using Atlas.Actors.Client;
using Atlas.Actors.Hosting;
using Atlas.Actors.Membership;
using Atlas.Actors.Redis.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Atlas.Actors.Redis.Tests.Membership;

/// <summary>What the Redis table does beyond the shared contract: its layout, its registration, its failures.</summary>
public sealed class RedisMembershipTableTests : IAsyncLifetime
{
    private readonly List<string> _keys = [];

    private static MembershipEntry Entry(SiloAddress silo) => new()
    {
        Silo = silo,
        Status = SiloStatus.Active,
        StartTimeUtc = new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc),
        IAmAliveTimeUtc = new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc),
    };

    private async Task<RedisMembershipTable> NewTableAsync(string purpose)
    {
        var table = new RedisMembershipTable(await TestRedisServer.SharedAsync(),
            new RedisMembershipOptions { ClusterId = TestClusterIds.New(purpose) });
        _keys.Add(table.Key);
        await table.InitializeAsync();
        return table;
    }

    [Fact]
    public async Task The_table_is_one_hash_with_a_version_field_and_a_row_and_alive_field_per_silo()
    {
        var table = await NewTableAsync("layout");
        var silo = new SiloAddress("10.1.2.3", 11111, 42);

        Assert.True(await table.InsertRowAsync(Entry(silo), new TableVersion(1, "1")));

        var redis = (await TestRedisServer.SharedAsync()).GetDatabase();
        var fields = (await redis.HashGetAllAsync(table.Key)).ToDictionary(f => f.Name.ToString(), f => f.Value.ToString());
        Assert.Equal(["alive:10.1.2.3:11111@42", "silo:10.1.2.3:11111@42", "version"], fields.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1", fields["version"]);
        Assert.Equal("2026-01-02T03:04:05.0060000Z", fields["alive:10.1.2.3:11111@42"]);
        Assert.StartsWith("""{"etag":"1","entry":{"status":"Active",""", fields["silo:10.1.2.3:11111@42"]);
    }

    [Fact]
    public async Task The_key_is_the_prefix_and_the_cluster_id()
    {
        var table = new RedisMembershipTable(await TestRedisServer.SharedAsync(),
            new RedisMembershipOptions { KeyPrefix = "ride:", ClusterId = "eu-1" });

        Assert.Equal("ride:eu-1:membership", table.Key);
    }

    [Fact]
    public async Task A_table_whose_key_vanished_reads_as_version_zero_and_accepts_the_first_insert()
    {
        var table = await NewTableAsync("vanished");
        Assert.True(await table.InsertRowAsync(Entry(new SiloAddress("h", 1, 1)), new TableVersion(1, "1")));
        await (await TestRedisServer.SharedAsync()).GetDatabase().KeyDeleteAsync(table.Key);

        Assert.Equal(0, (await table.ReadAllAsync()).Version.Version);
        Assert.True(await table.InsertRowAsync(Entry(new SiloAddress("h", 2, 1)), new TableVersion(1, "1")));
    }

    [Fact]
    public async Task A_table_without_a_cluster_id_is_refused_at_construction()
    {
        var redis = await TestRedisServer.SharedAsync();

        Assert.ThrowsAny<ArgumentException>(() => new RedisMembershipTable(redis, new RedisMembershipOptions()));
    }

    [Fact]
    public async Task Starting_against_an_unreachable_redis_fails_with_MembershipTableUnavailableException_within_the_timeouts()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        await using var table = new RedisMembershipTable(new RedisMembershipOptions
        {
            ConnectionString = "127.0.0.1:1",
            ClusterId = TestClusterIds.New("unreachable"),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            OperationTimeout = TimeSpan.FromSeconds(1),
        });
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<MembershipTableUnavailableException>(() => table.InitializeAsync());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"failing took {watch.Elapsed}");
        Assert.Contains("127.0.0.1:1", error.Message);
        Assert.Contains("127.0.0.1:1", error.Endpoint);
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public async Task UseRedisClustering_keys_the_silos_table_by_the_silos_cluster_id()
    {
        var clusterId = TestClusterIds.New("silo");
        var services = new ServiceCollection();
        services.AddAtlasSiloWithoutHost(silo =>
        {
            silo.Configure<SiloOptions>(o => o.ClusterId = clusterId);
            silo.UseRedisClustering(TestRedisServer.ConnectionString);
        });
        await using var provider = services.BuildServiceProvider();

        var table = Assert.IsType<RedisMembershipTable>(provider.GetRequiredService<IMembershipTable>());

        Assert.Equal($"atlas:{clusterId}:membership", table.Key);
        _keys.Add(table.Key);
        await table.InitializeAsync();
        Assert.Equal(0, (await table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task UseRedisClustering_uses_the_connection_registered_in_the_container()
    {
        var shared = await TestRedisServer.SharedAsync();
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(shared);
        services.AddAtlasSiloWithoutHost(silo => silo.UseRedisClustering("127.0.0.1:1", o => o.ClusterId = TestClusterIds.New("shared")));
        await using var provider = services.BuildServiceProvider();
        var table = (RedisMembershipTable)provider.GetRequiredService<IMembershipTable>();
        _keys.Add(table.Key);

        // The connection string points nowhere: the call can only succeed over the registered connection.
        await table.InitializeAsync();

        Assert.True(await shared.GetDatabase().KeyExistsAsync(table.Key));
    }

    [Fact]
    public async Task A_client_table_is_keyed_by_the_clients_cluster_id()
    {
        var client = new ClientOptions { ClusterId = TestClusterIds.New("client") };

        await using var table = RedisMembershipTable.ForClient(client, TestRedisServer.ConnectionString);

        Assert.Equal($"atlas:{client.ClusterId}:membership", table.Key);
        _keys.Add(table.Key);
        await table.InitializeAsync();
        Assert.Empty((await table.ReadAllAsync()).Entries);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var redis = (await TestRedisServer.SharedAsync()).GetDatabase();
        foreach (var key in _keys)
        {
            await redis.KeyDeleteAsync(key);
        }
    }
}
