using Atlas.Testing.Servers;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Tests.Clusters;

namespace Atlas.Infrastructure.Tests.Wallets;

/// <summary>Two silos whose wallets keep their ledger in PostgreSQL (<c>AddPostgresLedger</c>, as production composes them).</summary>
public sealed class PostgresWalletCluster : IAsyncLifetime
{
    private AtlasTestCluster? _cluster;

    public AtlasTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not started.");

    public async Task InitializeAsync() =>
        _cluster = await AtlasTestCluster.StartAsync(2, silo => silo.Services.AddPostgresLedger(TestPostgresServer.ConnectionString));

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresWalletClusterCollection : ICollectionFixture<PostgresWalletCluster>
{
    public const string Name = "postgres-wallet-cluster";
}

/// <summary>
/// Wallet grains on a two-silo cluster whose ledger is in PostgreSQL: the store's guarantees hold end to end, under
/// load and across the loss of the silo that hosts a wallet.
/// </summary>
[Collection(PostgresWalletClusterCollection.Name)]
public sealed class PostgresWalletClusterTests(PostgresDataSourceFixture database, PostgresWalletCluster wallets)
    : IClassFixture<PostgresDataSourceFixture>, IAsyncLifetime
{
    private readonly PostgresLedgerStore _ledger = new(database.DataSource);

    private AtlasTestCluster Cluster => wallets.Cluster;

    /// <summary>Every test starts on two silos, whatever an earlier one killed.</summary>
    public Task InitializeAsync() => Cluster.RestoreSilosAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static Money Eur(long minor) => new(minor, Currency.Eur);

    private static string NewWalletId(string prefix) => WalletIds.ForUser($"{prefix}-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_thousand_concurrent_operations_on_one_wallet_never_overdraw_and_its_entries_replay_to_its_balance()
    {
        var walletId = NewWalletId("racer");
        var wallet = Cluster.GrainFactory.GetGrain<IWalletGrain>(walletId);
        await wallet.TopUp("t", Eur(50_000));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(async i =>
        {
            try
            {
                _ = (i % 10) switch
                {
                    0 => await wallet.Credit($"c{i}", Eur(40)),
                    1 => await wallet.Hold($"h{i}", Eur(150)),
                    _ => await wallet.Debit($"d{i}", Eur(100 + i % 7)),
                };
                return true;
            }
            catch (InsufficientFundsException)
            {
                return false;
            }
        }));

        var balance = await wallet.GetBalance();
        var stored = (await _ledger.LoadAsync(walletId))!;
        var movements = await _ledger.ReadMovementsAsync(walletId, 0, 5_000);
        var entries = await _ledger.ReadEntriesAsync(walletId);
        Assert.True(outcomes.Count(ok => ok) is > 0 and < 1_000, $"{outcomes.Count(ok => ok)} of 1000 applied: the wallet should run dry part-way");
        Assert.Equal((stored.Balance, stored.Held, stored.Version), (balance.Balance.Minor, balance.Held.Minor, balance.Version));
        Assert.True(stored.Balance >= 0 && stored.Available >= 0);
        Assert.All(movements, m => Assert.False(m.AvailableAfter.IsNegative, $"{m.Reference} left {m.AvailableAfter} available"));
        Assert.Equal(Enumerable.Range(1, movements.Count).Select(v => (long)v), movements.Select(m => m.Version));
        Assert.Equal(outcomes.Count(ok => ok) + 1, movements.Count);
        Assert.Equal(stored.Balance, entries.Sum(e => e.AmountMinor));
        Assert.Equal(stored.Held, stored.Holds.Values.Sum(h => h.Amount.Minor));
        var counter = (await _ledger.ReadEntriesAsync(CounterAccounts.Funding)).Concat(await _ledger.ReadEntriesAsync(CounterAccounts.Payouts))
            .Concat(await _ledger.ReadEntriesAsync(CounterAccounts.RideClearing))
            .Where(e => e.Reference.StartsWith($"{walletId}/", StringComparison.Ordinal));
        Assert.Equal(0, entries.Sum(e => e.AmountMinor) + counter.Sum(e => e.AmountMinor));
    }

    [Fact]
    public async Task A_payment_retried_across_the_kill_of_the_silo_hosting_the_wallet_is_applied_once()
    {
        var walletId = NewWalletId("payee");
        var wallet = Cluster.GrainFactory.GetGrain<IWalletGrain>(walletId);
        var first = await wallet.Credit("ride-1:commission", Eur(300));

        await Cluster.KillAsync(await Cluster.HostOfAsync(wallet.GetGrainId()));
        var retry = await wallet.Credit("ride-1:commission", Eur(300));

        Assert.Equal((first.Version, true), (retry.Version, retry.Replayed));
        Assert.Equal([("ride-1:commission", 300L)], (await _ledger.ReadEntriesAsync(walletId)).Select(e => (e.Reference, e.AmountMinor)));
        Assert.Equal(Eur(300), (await wallet.GetBalance()).Balance);
    }

    [Fact]
    public async Task Payments_in_flight_when_the_wallets_silo_is_killed_are_each_applied_once_after_their_retries()
    {
        var walletId = NewWalletId("payee");
        var wallet = Cluster.GrainFactory.GetGrain<IWalletGrain>(walletId);
        await wallet.TopUp("t", Eur(1));
        var owner = await Cluster.HostOfAsync(wallet.GetGrainId());

        var inFlight = Enumerable.Range(0, 40).Select(i => wallet.Credit($"ride-{i}:commission", Eur(100 + i))).ToArray();
        await Cluster.KillAsync(owner);
        var failed = 0;
        foreach (var call in inFlight)
        {
            try
            {
                await call;
            }
            catch (Exception)
            {
                failed++; // the silo died with it: applied or not, the retry below tells
            }
        }
        // The order grain's outbox retries every payment it has no acknowledgement for; here, every one of them.
        var retries = new List<WalletMovement>();
        for (var i = 0; i < 40; i++)
        {
            retries.Add(await wallet.Credit($"ride-{i}:commission", Eur(100 + i)));
        }

        var entries = await _ledger.ReadEntriesAsync(walletId);
        Assert.Equal(41, entries.Count);
        Assert.Equal(entries.Count, entries.Select(e => e.Reference).Distinct().Count());
        Assert.Equal(1 + Enumerable.Range(0, 40).Sum(i => 100L + i), (await wallet.GetBalance()).Balance.Minor);
        Assert.Equal(Enumerable.Range(1, 41).Select(v => (long)v), (await _ledger.ReadMovementsAsync(walletId, 0, 100)).Select(m => m.Version));
        Assert.True(retries.Count(r => r.Replayed) >= 40 - failed, $"{failed} calls failed with the silo; every call that had answered must replay");
    }
}
