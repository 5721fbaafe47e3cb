using Atlas.Actors.Membership;
using Atlas.Actors.Redis.Tests.Infrastructure;
using Atlas.Testing.Servers;
using Atlas.Actors.Testing.Contracts;

namespace Atlas.Actors.Redis.Tests.Contracts;

/// <summary>The membership table contract, against Redis: each test has a cluster id (a key) of its own.</summary>
public sealed class RedisMembershipTableContractTests : MembershipTableContractTests, IAsyncLifetime
{
    private readonly List<RedisMembershipTable> _tables = [];

    protected override async Task<IMembershipTable> CreateTableAsync()
    {
        var redis = await TestRedisServer.SharedAsync();
        var table = new RedisMembershipTable(redis, new RedisMembershipOptions { ClusterId = TestClusterIds.New("contract") });
        _tables.Add(table);
        return table;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var redis = await TestRedisServer.SharedAsync();
        foreach (var table in _tables)
        {
            await redis.GetDatabase().KeyDeleteAsync(table.Key);
            await table.DisposeAsync();
        }
    }
}
