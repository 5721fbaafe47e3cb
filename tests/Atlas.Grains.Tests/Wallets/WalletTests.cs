using Orleans.Storage;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Wallets;

[Collection(RidesCollection.Name)]
public sealed class WalletTests(RidesFixture fixture)
{
    private IWalletGrain NewWallet() => fixture.GrainFactory.GetGrain<IWalletGrain>(WalletIds.ForUser(NewId("user")));

    [Fact]
    public async Task Top_up_hold_capture_release_debit_credit_refund_keep_the_balances()
    {
        var wallet = NewWallet();
        await wallet.TopUp("t1", Eur(10_000));
        await wallet.Hold("h1", Eur(3_000));
        Assert.Equal(Eur(7_000), (await wallet.GetBalance()).Available);

        var capture = await wallet.Capture("c1", "h1", Eur(2_500));
        Assert.Equal(Eur(7_500), capture.BalanceAfter);
        Assert.Equal(Eur(0), capture.HeldAfter);

        await wallet.Hold("h2", Eur(1_000));
        await wallet.Release("r2", "h2");
        await wallet.Debit("d1", Eur(500));
        await wallet.Credit("k1", Eur(200));
        await wallet.Refund("f1", "c1", Eur(1_000));

        var balance = await wallet.GetBalance();
        Assert.Equal(Eur(10_000 - 2_500 - 500 + 200 + 1_000), balance.Balance);
        Assert.Equal(balance.Balance, balance.Available);
        Assert.Equal(0, balance.OpenHolds);
    }

    [Fact]
    public async Task A_retried_movement_returns_the_original_result_and_applies_once()
    {
        var wallet = NewWallet();
        var first = await wallet.TopUp("same", Eur(1_000));

        var again = await wallet.TopUp("same", Eur(1_000));

        Assert.True(again.Replayed);
        Assert.Equal(first.Version, again.Version);
        Assert.Equal(first.BalanceAfter, again.BalanceAfter);
        Assert.Equal(Eur(1_000), (await wallet.GetBalance()).Balance);
    }

    [Fact]
    public async Task A_retried_capture_or_release_after_the_hold_closed_returns_the_original()
    {
        var wallet = NewWallet();
        await wallet.TopUp("t", Eur(1_000));
        await wallet.Hold("h", Eur(800));
        var capture = await wallet.Capture("c", "h", Eur(600));
        await wallet.Hold("h2", Eur(100));
        var release = await wallet.Release("r", "h2");

        Assert.Equal(capture.Version, (await wallet.Capture("c", "h", Eur(600))).Version);
        Assert.Equal(release.Version, (await wallet.Release("r", "h2")).Version);
        Assert.Equal(Eur(400), (await wallet.GetBalance()).Balance);
    }

    [Fact]
    public async Task The_same_reference_for_a_different_movement_is_refused_and_changes_nothing()
    {
        var wallet = NewWallet();
        await wallet.TopUp("ref", Eur(1_000));

        var error = await Assert.ThrowsAsync<IdempotencyConflictException>(() => wallet.TopUp("ref", Eur(2_000)));
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => wallet.Credit("ref", Eur(1_000)));

        Assert.Equal("ref", error.Reference);
        Assert.Equal(Eur(1_000), (await wallet.GetBalance()).Balance);
    }

    [Fact]
    public async Task A_debit_or_hold_beyond_the_available_balance_is_refused_and_changes_nothing()
    {
        var wallet = NewWallet();
        await wallet.TopUp("t", Eur(1_000));
        await wallet.Hold("h", Eur(600));

        var debit = await Assert.ThrowsAsync<InsufficientFundsException>(() => wallet.Debit("d", Eur(500)));
        await Assert.ThrowsAsync<InsufficientFundsException>(() => wallet.Hold("h2", Eur(401)));

        Assert.Equal(Eur(400), debit.Available);
        var balance = await wallet.GetBalance();
        Assert.Equal((Eur(1_000), Eur(600), 2L), (balance.Balance, balance.Held, balance.Version));
    }

    [Fact]
    public async Task Bad_amounts_references_and_currencies_are_refused()
    {
        var wallet = NewWallet();
        await wallet.TopUp("t", Eur(1_000));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => wallet.TopUp("z", Eur(0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => wallet.Credit("n", Eur(-5)));
        await Assert.ThrowsAsync<ArgumentException>(() => wallet.TopUp(" ", Eur(5)));
        await Assert.ThrowsAsync<CurrencyMismatchException>(() => wallet.Credit("usd", new Money(5, Currency.Usd)));
        await Assert.ThrowsAsync<UnknownHoldException>(() => wallet.Capture("c", "no-such-hold", Eur(5)));
        await Assert.ThrowsAsync<UnknownHoldException>(() => wallet.Release("r", "no-such-hold"));
        await Assert.ThrowsAsync<UnknownMovementException>(() => wallet.Refund("f", "t", Eur(5)));
        await wallet.Hold("h", Eur(100));
        await Assert.ThrowsAsync<AmountExceedsOriginalException>(() => wallet.Capture("c2", "h", Eur(101)));

        var balance = await wallet.GetBalance();
        Assert.Equal((Eur(1_000), Eur(100)), (balance.Balance, balance.Held));
    }

    [Fact]
    public async Task A_thousand_concurrent_debits_never_overdraw_and_the_entries_replay_to_the_balance()
    {
        var walletId = WalletIds.ForUser(NewId("racer"));
        var wallet = fixture.GrainFactory.GetGrain<IWalletGrain>(walletId);
        await wallet.TopUp("t", Eur(50_000));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(async i =>
        {
            try
            {
                await wallet.Debit($"d{i}", Eur(100 + i % 7));
                return true;
            }
            catch (InsufficientFundsException)
            {
                return false;
            }
        }));

        var balance = await wallet.GetBalance();
        Assert.True(balance.Balance.Minor >= 0);
        Assert.True(outcomes.Count(ok => ok) is > 0 and < 1_000);
        var entries = await fixture.Ledger.ReadEntriesAsync(walletId);
        Assert.Equal(balance.Balance.Minor, entries.Sum(e => e.AmountMinor));
        Assert.Equal(outcomes.Count(ok => ok) + 1, entries.Count);
        var movements = await wallet.GetMovements(0, 2_000);
        Assert.Equal(Enumerable.Range(1, movements.Count).Select(v => (long)v), movements.Select(m => m.Version));
        Assert.All(movements, m => Assert.False(m.AvailableAfter.IsNegative));
    }

    [Fact]
    public async Task A_stale_activation_cannot_write_and_the_next_call_sees_the_ledger()
    {
        var walletId = WalletIds.ForUser(NewId("stale"));
        var wallet = fixture.GrainFactory.GetGrain<IWalletGrain>(walletId);
        await wallet.TopUp("t", Eur(1_000));
        // Another writer (a duplicate activation elsewhere) moves the ledger on behind this activation's back.
        var snapshot = (await fixture.Ledger.LoadAsync(walletId))!;
        var other = new WalletMovement(walletId, "other", MovementKind.Credit, Eur(5), null, Eur(1_005), Eur(0), snapshot.Version + 1, DateTimeOffset.UtcNow);
        await fixture.Ledger.ApplyAsync(walletId, snapshot.Version, new LedgerWrite(other, [], null, null));

        await Assert.ThrowsAsync<InconsistentStateException>(() => wallet.Debit("d", Eur(10)));

        Assert.Equal(Eur(1_005), (await wallet.GetBalance()).Balance);
        Assert.Equal(Eur(995), (await wallet.Debit("d", Eur(10))).BalanceAfter);
    }
}
