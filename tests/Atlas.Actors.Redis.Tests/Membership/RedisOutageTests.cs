using System.Diagnostics;
using Atlas.Actors.Membership;
using Atlas.Actors.Redis.Tests.Infrastructure;
using Atlas.Testing.Servers;

namespace Atlas.Actors.Redis.Tests.Membership;

/// <summary>
/// These tests stop the shared test Redis or flush its script cache, so they run alone, after the tests that run in
/// parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisOutageCollection
{
    public const string Name = "redis outage";
}

/// <summary>The table while Redis is down, after it comes back (empty: the test Redis keeps no data), and after losing its scripts.</summary>
[Collection(RedisOutageCollection.Name)]
public sealed class RedisOutageTests
{
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(5);

    private static RedisMembershipTable NewTable() => new(new RedisMembershipOptions
    {
        ConnectionString = TestRedisServer.ConnectionString,
        ClusterId = TestClusterIds.New("outage"),
        ConnectTimeout = TimeSpan.FromSeconds(1),
        OperationTimeout = TimeSpan.FromSeconds(1),
    });

    private static MembershipEntry Entry(int port) => new()
    {
        Silo = new SiloAddress("10.0.0.9", port, 1),
        Status = SiloStatus.Active,
        IAmAliveTimeUtc = DateTime.UtcNow,
    };

    [Fact]
    public async Task While_redis_is_down_reads_and_writes_fail_promptly_with_MembershipTableUnavailableException()
    {
        await using var table = NewTable();
        await table.InitializeAsync();
        Assert.True(await table.InsertRowAsync(Entry(1), new TableVersion(1, "1")));
        var row = Assert.Single((await table.ReadAllAsync()).Entries);

        await TestRedisServer.StopAsync();
        try
        {
            var calls = new (string Name, Func<Task> Call)[]
            {
                ("read all", () => table.ReadAllAsync()),
                ("update row", () => table.UpdateRowAsync(row.Entry with { Status = SiloStatus.Dead }, row.ETag, new TableVersion(2, "2"))),
                ("insert row", () => table.InsertRowAsync(Entry(2), new TableVersion(2, "2"))),
                ("IAmAlive", () => table.UpdateIAmAliveAsync(row.Entry.Silo, DateTime.UtcNow)),
            };
            foreach (var (name, call) in calls)
            {
                var watch = Stopwatch.StartNew();
                var error = await Assert.ThrowsAsync<MembershipTableUnavailableException>(call);
                Assert.True(watch.Elapsed < FailureBound, $"{name} took {watch.Elapsed} to fail");
                Assert.Contains(TestRedisServer.ConnectionString, error.Endpoint);
                Assert.Contains(table.Key, error.Message);
                Assert.NotNull(error.InnerException);
            }
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }
    }

    [Fact]
    public async Task After_redis_returns_the_same_table_instance_reads_and_writes_again()
    {
        await using var table = NewTable();
        await table.InitializeAsync();
        Assert.True(await table.InsertRowAsync(Entry(1), new TableVersion(1, "1")));

        await TestRedisServer.StopAsync();
        try
        {
            await Assert.ThrowsAsync<MembershipTableUnavailableException>(() => table.ReadAllAsync());
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await table.InitializeAsync();
                break;
            }
            catch (MembershipTableUnavailableException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
        // The test Redis restarts empty, so the table starts over at version 0; the scripts must run again too.
        Assert.Equal(0, (await table.ReadAllAsync()).Version.Version);
        Assert.True(await table.InsertRowAsync(Entry(1), new TableVersion(1, "1")));
        var row = Assert.Single((await table.ReadAllAsync()).Entries);
        Assert.True(await table.UpdateRowAsync(row.Entry with { Status = SiloStatus.ShuttingDown }, row.ETag, new TableVersion(2, "2")));
    }

    [Fact]
    public async Task Writes_go_on_after_the_server_loses_its_script_cache_under_an_open_connection()
    {
        await using var table = NewTable();
        await table.InitializeAsync();
        Assert.True(await table.InsertRowAsync(Entry(1), new TableVersion(1, "1")));
        Assert.True(await table.InsertRowAsync(Entry(2), new TableVersion(2, "2")));
        var redis = await TestRedisServer.SharedAsync();

        await redis.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");

        Assert.True(await table.InsertRowAsync(Entry(3), new TableVersion(3, "3")));
        Assert.Equal(3, (await table.ReadAllAsync()).Entries.Count);
        await redis.GetDatabase().KeyDeleteAsync(table.Key);
    }
}
