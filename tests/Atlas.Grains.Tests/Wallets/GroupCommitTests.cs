using Atlas.Grains.Wallets;
using Atlas.Grains.Tests.Cluster;
using Orleans.Storage;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Wallets;

/// <summary>
/// Movements that arrive while a wallet's write is in flight are committed together, with the outcomes of one-by-one.
/// The shared cluster writes at most 4 movements per write (<c>Wallets:MaxMovementsPerWrite</c>), so that batches fill up
/// with few calls.
/// </summary>
[Collection(RidesCollection.Name)]
public sealed class GroupCommitTests(RidesFixture fixture)
{
    private GatedLedgerStore Store => fixture.LedgerGate;

    private (string Id, IWalletGrain Grain) NewWallet()
    {
        var id = WalletIds.ForUser(NewId("batched"));
        return (id, fixture.GrainFactory.GetGrain<IWalletGrain>(id));
    }

    /// <summary>
    /// Sends <paramref name="first"/>, and <paramref name="queued"/> once the wallet's write of it waits at the gate, then
    /// opens the gate. The wallet takes a call's movement into its queue as soon as the call arrives, so the queued calls
    /// are all in before the gate opens, in the order sent (by a sender on the wallet's silo: see
    /// <see cref="IWalletSenderGrain"/>).
    /// </summary>
    private async Task<WalletAnswer[]> QueueBehindAsync(string walletId, IWalletGrain wallet, WalletCall first, params WalletCall[] queued) =>
        await QueueBehindAsync(walletId, wallet, first, queued, whileClosed: () => Task.CompletedTask);

    private async Task<WalletAnswer[]> QueueBehindAsync(string walletId, IWalletGrain wallet, WalletCall first, WalletCall[] queued, Func<Task> whileClosed)
    {
        await wallet.GetBalance(); // activates the wallet, to place the sender beside it
        var sender = fixture.GrainFactory.GetGrain<IWalletSenderGrain>(NewId("sender"));
        var silo = fixture.Cluster.SiloOf(wallet)!;
        var entered = Store.CloseAsync(walletId);
        await Placement.OnSilo(silo, () => sender.Send(walletId, [first]));
        Assert.Equal(silo, fixture.Cluster.SiloOf(sender));
        await entered.WaitAsync(TimeSpan.FromSeconds(30));
        await sender.Send(walletId, queued);
        await whileClosed();
        Store.Open(walletId);
        return await sender.Answers();
    }

    [Fact]
    public async Task Movements_queued_behind_a_write_in_flight_are_written_together_in_arrival_order_up_to_the_limit()
    {
        var (id, wallet) = NewWallet();

        var calls = await QueueBehindAsync(id, wallet, WalletCall.TopUp("t0", Eur(100)),
            Enumerable.Range(1, 9).Select(i => WalletCall.Credit($"c{i}", Eur(i))).ToArray());

        Assert.Equal([1, 4, 4, 1], Store.WritesOf(id));
        Assert.Equal(Enumerable.Range(1, 10).Select(v => (long)v), calls.Select(c => c.Result.Version));
        var movements = await wallet.GetMovements(0, 100);
        Assert.Equal(["t0", .. Enumerable.Range(1, 9).Select(i => $"c{i}")], movements.Select(m => m.Reference));
        Assert.Equal(Eur(145), (await wallet.GetBalance()).Balance);
    }

    [Fact]
    public async Task A_debit_decided_in_the_same_write_as_a_credit_counts_the_credit()
    {
        var (id, wallet) = NewWallet();

        var calls = await QueueBehindAsync(id, wallet, WalletCall.TopUp("t0", Eur(10)),
            WalletCall.Credit("c1", Eur(100)), WalletCall.Debit("d1", Eur(105)), WalletCall.Debit("d2", Eur(10)));

        Assert.Equal([1, 2], Store.WritesOf(id)); // d2 is refused: it is not written
        Assert.Equal(Eur(5), calls[2].Result.BalanceAfter);
        Assert.IsType<InsufficientFundsException>(calls[3].Error);
        Assert.Equal(Eur(5), (await wallet.GetBalance()).Balance);
    }

    [Fact]
    public async Task A_retry_queued_with_new_movements_is_answered_with_the_original_and_the_others_are_still_written()
    {
        var (id, wallet) = NewWallet();
        var original = await wallet.TopUp("t0", Eur(100));

        var calls = await QueueBehindAsync(id, wallet, WalletCall.Credit("c1", Eur(1)),
            WalletCall.TopUp("t0", Eur(100)), WalletCall.Credit("c2", Eur(2)));

        Assert.True(calls[1].Result.Replayed);
        Assert.Equal(original.Version, calls[1].Result.Version);
        Assert.Equal(3, calls[2].Result.Version);
        Assert.Equal(Eur(103), (await wallet.GetBalance()).Balance);
        Assert.Equal(3, (await Store.ReadEntriesAsync(id)).Count);
    }

    [Fact]
    public async Task The_same_reference_queued_twice_is_applied_once_and_answered_twice()
    {
        var (id, wallet) = NewWallet();

        var calls = await QueueBehindAsync(id, wallet, WalletCall.TopUp("t0", Eur(100)),
            WalletCall.Credit("x", Eur(7)), WalletCall.Credit("x", Eur(7)), WalletCall.Credit("y", Eur(1)));

        Assert.Equal((2L, false), (calls[1].Result.Version, calls[1].Result.Replayed));
        Assert.Equal((2L, true), (calls[2].Result.Version, calls[2].Result.Replayed));
        Assert.Equal(Eur(108), (await wallet.GetBalance()).Balance);
        Assert.Equal(3, (await wallet.GetMovements(0, 10)).Count);
    }

    [Fact]
    public async Task When_another_writer_moved_the_ledger_on_every_queued_movement_fails_and_the_next_call_reloads()
    {
        var (id, wallet) = NewWallet();
        await wallet.TopUp("t0", Eur(100));
        // A stale duplicate activation elsewhere writes version 2 first.
        var other = new WalletMovement(id, "other", MovementKind.Credit, Eur(50), null, Eur(150), Eur(0), 2, DateTimeOffset.UtcNow);

        var calls = await QueueBehindAsync(id, wallet, WalletCall.Credit("c1", Eur(1)), [WalletCall.Credit("c2", Eur(2)), WalletCall.Debit("d1", Eur(3))],
            whileClosed: () => Store.Inner.ApplyAsync(id, 1, new LedgerWrite(other, [], null, null)));

        Assert.All(calls, call => Assert.IsType<InconsistentStateException>(call.Error));
        var next = await wallet.Credit("c2", Eur(2));
        Assert.Equal((3L, Eur(152)), (next.Version, next.BalanceAfter));
    }

    [Fact]
    public async Task A_write_committed_without_an_answer_is_not_applied_again_and_the_next_movement_follows_it()
    {
        var (id, wallet) = NewWallet();
        await wallet.TopUp("t0", Eur(100));
        Store.FailNextWrite(id, new TimeoutException("the connection broke before the commit was acknowledged"), afterApplying: true);

        await Assert.ThrowsAsync<TimeoutException>(() => wallet.Credit("c1", Eur(10)));
        var retry = await wallet.Credit("c1", Eur(10));
        var next = await wallet.Debit("d1", Eur(5));

        Assert.Equal((2L, true), (retry.Version, retry.Replayed));
        Assert.Equal((3L, Eur(105)), (next.Version, next.BalanceAfter));
        Assert.Equal(3, (await Store.ReadEntriesAsync(id)).Count);
    }

    [Fact]
    public async Task A_write_that_failed_before_it_was_applied_can_be_retried()
    {
        var (id, wallet) = NewWallet();
        await wallet.TopUp("t0", Eur(100));
        Store.FailNextWrite(id, new TimeoutException("the database did not answer"), afterApplying: false);

        await Assert.ThrowsAsync<TimeoutException>(() => wallet.Credit("c1", Eur(10)));
        var retry = await wallet.Credit("c1", Eur(10));

        Assert.Equal((2L, false, Eur(110)), (retry.Version, retry.Replayed, retry.BalanceAfter));
    }
}
