using Atlas.Testing.Servers;
using System.Diagnostics;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Tests.Wallets;
using Npgsql;

namespace Atlas.Infrastructure.Tests.Outage;

/// <summary>Stopping the server would break tests running beside these, so they run alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LedgerOutageCollection : ICollectionFixture<PostgresWalletCluster>
{
    public const string Name = "ledger-postgres-outage";
}

/// <summary>The wallets through a PostgreSQL stop, start and restart: clear errors meanwhile, every payment once after.</summary>
[Collection(LedgerOutageCollection.Name)]
public sealed class LedgerOutageTests(PostgresWalletCluster wallets) : IAsyncLifetime
{
    /// <summary>Generous: a refused connection fails at once, a silent server within the 5 s connect timeout.</summary>
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(20);

    private readonly NpgsqlDataSource _dataSource = TestPostgresServer.CreateDataSource();
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A test that failed half-way must not leave the server down for the next.
        await TestPostgresServer.StartAsync();
        await _dataSource.DisposeAsync();
    }

    private static Money Eur(long minor) => new(minor, Currency.Eur);

    private IWalletGrain NewWallet(out string walletId)
    {
        walletId = WalletIds.ForUser($"outage-{Guid.NewGuid():N}");
        return wallets.Cluster.GrainFactory.GetGrain<IWalletGrain>(walletId);
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_a_payment_fails_quickly_with_LedgerUnavailableException_and_its_retry_applies_it_once_after()
    {
        var wallet = NewWallet(out var walletId);
        await wallet.TopUp("t", Eur(1_000));

        await WhileStoppedAsync(async () =>
        {
            var stopwatch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<LedgerUnavailableException>(() => wallet.Credit("ride-1:driver", Eur(250)));

            Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, FailureBound);
            Assert.Equal("PostgreSQL ledger", error.Store);
            Assert.Contains("ride-1:driver", error.Message);
            // The driver's exception crosses the grain boundary with it, as its cause.
            Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
            Assert.Equal(Eur(1_000), (await wallet.GetBalance()).Balance);
        });

        var retry = await wallet.Credit("ride-1:driver", Eur(250));
        var again = await wallet.Credit("ride-1:driver", Eur(250));

        Assert.Equal((2L, false, Eur(1_250)), (retry.Version, retry.Replayed, retry.BalanceAfter));
        Assert.True(again.Replayed);
        Assert.Equal(2, (await new PostgresLedgerStore(_dataSource).ReadEntriesAsync(walletId)).Count);
    }

    [Fact]
    public async Task After_a_PostgreSQL_restart_between_payments_the_next_one_succeeds()
    {
        var wallet = NewWallet(out _);
        await wallet.TopUp("t", Eur(1_000));

        // The pools still hold connections the server closed while restarting.
        await TestPostgresServer.RestartAsync();
        var debit = await wallet.Debit("d", Eur(100));

        Assert.Equal((2L, Eur(900)), (debit.Version, debit.BalanceAfter));
    }

    [Fact]
    public async Task Payments_in_flight_during_a_restart_fail_only_as_unavailable_and_are_each_applied_once_after()
    {
        var wallet = NewWallet(out var walletId);
        await wallet.TopUp("t", Eur(1));

        var inFlight = Enumerable.Range(0, 100).Select(i => wallet.Credit($"ride-{i}:commission", Eur(10 + i))).ToArray();
        await TestPostgresServer.RestartAsync();
        var errors = new List<Exception>();
        foreach (var call in inFlight)
        {
            try
            {
                await call;
            }
            catch (Exception exception)
            {
                errors.Add(exception);
            }
        }
        for (var i = 0; i < 100; i++)
        {
            await wallet.Credit($"ride-{i}:commission", Eur(10 + i));
        }

        Assert.All(errors, e => Assert.IsType<LedgerUnavailableException>(e));
        var entries = await new PostgresLedgerStore(_dataSource).ReadEntriesAsync(walletId);
        Assert.Equal(101, entries.Count);
        Assert.Equal(101, entries.Select(e => e.Reference).Distinct().Count());
        Assert.Equal(1 + Enumerable.Range(0, 100).Sum(i => 10L + i), (await wallet.GetBalance()).Balance.Minor);
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_reading_the_ledger_fails_with_LedgerUnavailableException_and_works_again_after()
    {
        var store = new PostgresLedgerStore(_dataSource);
        await store.InitializeAsync();

        await WhileStoppedAsync(async () =>
        {
            var error = await Assert.ThrowsAsync<LedgerUnavailableException>(() => store.LoadAsync("user:nobody"));
            Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
        });

        Assert.Null(await store.LoadAsync("user:nobody"));
    }

    private static async Task WhileStoppedAsync(Func<Task> during)
    {
        await TestPostgresServer.StopAsync();
        try
        {
            await during();
        }
        finally
        {
            await TestPostgresServer.StartAsync();
        }
    }
}
