using System.Diagnostics;
using Atlas.Actors.Membership;
using Atlas.Actors.Redis.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Atlas.Actors.Redis.Tests.Membership;

/// <summary>Timings are taken alone, after the tests that run in parallel, so that they measure the table, not the load.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisTimingsCollection
{
    public const string Name = "redis timings";
}

/// <summary>How long a read of the whole table and a compare-and-swap update take against the test Redis.</summary>
[Collection(RedisTimingsCollection.Name)]
public sealed class RedisMembershipTableTimings(ITestOutputHelper output)
{
    private const int Warmup = 200;
    private const int Samples = 2000;

    [Theory]
    [InlineData(3)]
    [InlineData(30)]
    public async Task ReadAll_and_a_compare_and_swap_update_take_well_under_a_millisecond_each(int silos)
    {
        await using var table = new RedisMembershipTable(await RedisTestServer.SharedConnectionAsync(),
            new RedisMembershipOptions { ClusterId = RedisTestServer.NewClusterId("timings") });
        try
        {
            await table.InitializeAsync();
            var start = DateTime.UtcNow;
            for (var port = 1; port <= silos; port++)
            {
                var entry = new MembershipEntry
                {
                    Silo = new SiloAddress("10.0.0.1", port, 1), Status = SiloStatus.Active, SiloName = $"silo-{port}",
                    HostName = "host", StartTimeUtc = start, IAmAliveTimeUtc = start,
                };
                Assert.True(await table.InsertRowAsync(entry, new TableVersion(port, "")));
            }

            var read = await MeasureAsync(async () => await table.ReadAllAsync());
            var snapshot = await table.ReadAllAsync();
            var row = snapshot.Entries[0];
            var version = snapshot.Version;
            var etag = row.ETag;
            var update = await MeasureAsync(async () =>
            {
                version = version.Next();
                Assert.True(await table.UpdateRowAsync(row.Entry with { IAmAliveTimeUtc = DateTime.UtcNow }, etag, version));
                etag = version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture); // a row's ETag is the version that wrote it
            });

            output.WriteLine($"{silos} rows: ReadAllAsync median {read.Median:0} µs, p99 {read.P99:0} µs; " +
                             $"UpdateRowAsync (CAS) median {update.Median:0} µs, p99 {update.P99:0} µs ({Samples} sequential calls each)");
            Assert.True(read.Median < 2000, $"ReadAllAsync median {read.Median:0} µs");
            Assert.True(update.Median < 2000, $"UpdateRowAsync median {update.Median:0} µs");
        }
        finally
        {
            await (await RedisTestServer.SharedConnectionAsync()).GetDatabase().KeyDeleteAsync(table.Key);
        }
    }

    private static async Task<(double Median, double P99)> MeasureAsync(Func<Task> operation)
    {
        for (var i = 0; i < Warmup; i++)
        {
            await operation();
        }
        var micros = new double[Samples];
        for (var i = 0; i < Samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation();
            micros[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
        Array.Sort(micros);
        return (micros[Samples / 2], micros[Samples * 99 / 100]);
    }
}
