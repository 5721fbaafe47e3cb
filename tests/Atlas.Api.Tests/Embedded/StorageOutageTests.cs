using System.Net;
using Atlas.Api.Hosting;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Atlas.Api.Tests.Embedded;

/// <summary>A host whose SQLite file gives up waiting for a lock after half a second instead of 5 s.</summary>
public sealed class ShortBusyTimeoutFactory : ApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [.. base.Settings, new("Atlas:Sqlite:BusyTimeout", "00:00:00.500")];

    public string DatabasePath => Path.Combine(DataPath, PlatformComposition.DatabaseFileName);
}

/// <summary>
/// The embedded platform's storage cannot write (another process holds the SQLite file's write lock): requests that
/// write answer 503 with Retry-After, nothing is half-written, and the same requests succeed once the lock is gone.
/// </summary>
public sealed class StorageOutageTests(ShortBusyTimeoutFactory api) : IClassFixture<ShortBusyTimeoutFactory>
{
    [Fact]
    public async Task While_the_database_is_locked_writes_answer_503_with_retry_after_and_succeed_once_it_is_released()
    {
        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync(0);
        await rider.GetOkAsync("/wallet"); // the ledger's tables exist before the lock is taken
        var pickup = Scenario.RandomSpot();
        var order = Scenario.OrderBody(riderId, pickup, Scenario.Offset(pickup, 1500, 0));
        var topUp = new { amount = 4_200, currency = "EUR", reference = "outage-topup" };

        await using (var holder = await LockDatabaseAsync())
        {
            using var refusedOrder = await rider.PostAsync("/customer/order", order);
            using var refusedTopUp = await rider.PostAsync("/wallet/topup", topUp);

            foreach (var refused in new[] { refusedOrder, refusedTopUp })
            {
                var problem = await refused.ProblemAsync(HttpStatusCode.ServiceUnavailable);
                Assert.Equal("urn:atlas:problem:unavailable", problem.Str("type"));
                Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            }
        }

        Assert.Equal(0, (await rider.GetOkAsync("/wallet")).Long("balance"));
        var created = await rider.PostOkAsync("/customer/order", order);
        Assert.Equal("CREATED", created.Str("status"));
        var toppedUp = await rider.PostOkAsync("/wallet/topup", topUp);
        Assert.Equal(4_200, toppedUp["wallet"]!.Long("balance"));
    }

    /// <summary>Another connection takes the file's write lock (<c>BEGIN IMMEDIATE</c>) and holds it until disposed.</summary>
    private async Task<SqliteConnection> LockDatabaseAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = api.DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        await begin.ExecuteNonQueryAsync();
        return connection;
    }
}
