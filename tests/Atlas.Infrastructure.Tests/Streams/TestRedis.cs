using Atlas.Testing.Servers;
using StackExchange.Redis;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>
/// The Redis server the project's test command starts (<c>bash scripts/test.sh</c>), reached through its environment
/// variables, and what the stream tests read and write on it.
/// </summary>
internal static class TestRedis
{
    /// <summary>The StackExchange.Redis configuration string from <c>ATLAS_TEST_REDIS</c>.</summary>
    public static string ConnectionString => TestRedisServer.ConnectionString;

    /// <summary>One connection for the tests' own reads and writes (as a process would share one).</summary>
    public static async Task<IDatabase> DatabaseAsync() => (await TestRedisServer.SharedAsync()).GetDatabase();

    /// <summary>A key prefix no other test uses, so that tests run in parallel on one Redis.</summary>
    public static string NewPrefix(string purpose) => $"atlas:test:{purpose}:{Guid.NewGuid():N}:";

    public static async Task<long> LengthAsync(string stream) => await (await DatabaseAsync()).StreamLengthAsync(stream);

    /// <summary>Entries of <paramref name="stream"/> read by <paramref name="group"/> and not acknowledged.</summary>
    public static async Task<long> PendingAsync(string stream, string group)
    {
        var summary = await (await DatabaseAsync()).StreamPendingAsync(stream, group);
        return summary.PendingMessageCount;
    }

    /// <summary>Appends raw fields to a stream (as a buggy or foreign producer would).</summary>
    public static async Task<string> AddRawAsync(string stream, params string[] fieldsAndValues) =>
        (string)(await (await DatabaseAsync()).StreamAddAsync(stream,
            fieldsAndValues.Chunk(2).Select(pair => new NameValueEntry(pair[0], pair[1])).ToArray()))!;
}
