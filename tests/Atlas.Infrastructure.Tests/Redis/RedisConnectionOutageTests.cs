using System.Diagnostics;
using Atlas.Infrastructure.Redis;
using Atlas.Infrastructure.Tests.Streams;
using Atlas.Testing.Servers;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.Redis;

/// <summary>Stopping Redis would break tests running beside these, so they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisConnectionOutageCollection
{
    public const string Name = "redis-connection-outage";
}

/// <summary>A component's own Redis connection (<see cref="RedisConnection"/>, StackExchange.Redis 2.x) while Redis is stopped.</summary>
[Collection(RedisConnectionOutageCollection.Name)]
public sealed class RedisConnectionOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(3);

    private readonly RedisConnection _connection = new(TestRedisServer.ConnectionString, TimeSpan.FromSeconds(2), OperationTimeout, "test component");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A test that failed half-way must not leave Redis down for the next.
        await TestRedisServer.StartAsync();
        await _connection.DisposeAsync();
    }

    /// <summary>One plain (unbatched) command, as the geo index store and the stream consumer send them.</summary>
    private Task<RedisValue> ReadAsync() => _connection.RunAsync(
        database => database.StringGetAsync("atlas:test:redis-connection:nothing"),
        cause => new StorageUnavailableException($"test component: {cause.Message}", cause));

    private async Task<bool> FailsAsync()
    {
        try
        {
            await ReadAsync();
            return false;
        }
        catch (StorageUnavailableException)
        {
            return true;
        }
    }

    [Fact]
    public async Task Once_Redis_is_known_to_be_down_a_call_fails_at_once_rather_than_after_the_operation_timeout_and_works_again_after()
    {
        await ReadAsync();

        await TestRedisServer.StopAsync();
        try
        {
            // The first calls may be the ones that find the connection broken.
            await Eventually.HoldsAsync(FailsAsync, "a call to fail");

            // StackExchange.Redis 2.x's default backlog would hold it until the operation timeout (3 s here).
            var stopwatch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<StorageUnavailableException>(ReadAsync);
            Assert.True(stopwatch.Elapsed < OperationTimeout / 3, $"failed after {stopwatch.Elapsed.TotalMilliseconds:0} ms");
            Assert.IsType<RedisConnectionException>(error.InnerException);
        }
        finally
        {
            await TestRedisServer.StartAsync();
        }

        // Reconnected in the background, without a new connection.
        await Eventually.HoldsAsync(async () => !await FailsAsync(), "calls to work again");
    }
}
