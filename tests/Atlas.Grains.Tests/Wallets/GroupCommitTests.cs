using System.Collections.Concurrent;
using Atlas.Actors;
using Atlas.Actors.Testing;
using Atlas.Grains.Hosting;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.DependencyInjection;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Wallets;

/// <summary>
/// A ledger store whose writes for a wallet can be held at a gate (so that movements queue behind one in flight),
/// that records the size of every write, and that can fail a write before or after applying it.
/// </summary>
public sealed class GatedLedgerStore : ILedgerStore
{
    private readonly ConcurrentDictionary<string, (TaskCompletionSource Entered, TaskCompletionSource Open)> _gates = new();
    private readonly ConcurrentDictionary<string, (Exception Error, bool AfterApplying)> _failures = new();

    public InMemoryLedgerStore Inner { get; } = new();

    /// <summary>The number of movements of each write, per wallet, in order.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<int>> Writes { get; } = new();

    /// <summary>Holds the wallet's next write at the gate; completes when a write is waiting there.</summary>
    public Task CloseAsync(string walletId) => _gates.GetOrAdd(walletId, _ => (NewSignal(), NewSignal())).Entered.Task;

    public void Open(string walletId)
    {
        if (_gates.TryRemove(walletId, out var gate))
        {
            gate.Open.TrySetResult();
        }
    }

    /// <summary>The wallet's next write throws <paramref name="error"/>, before it is applied or after.</summary>
    public void FailNextWrite(string walletId, Exception error, bool afterApplying) => _failures[walletId] = (error, afterApplying);

    public int[] WritesOf(string walletId) => Writes.TryGetValue(walletId, out var sizes) ? sizes.ToArray() : [];

    public async Task<LedgerBatchResult> ApplyBatchAsync(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes, CancellationToken cancellationToken = default)
    {
        Writes.GetOrAdd(walletId, _ => new()).Enqueue(writes.Count);
        if (_gates.TryGetValue(walletId, out var gate))
        {
            gate.Entered.TrySetResult();
            await gate.Open.Task;
        }
        _failures.TryRemove(walletId, out var failure);
        if (failure.Error is not null && !failure.AfterApplying)
        {
            throw failure.Error;
        }
        var result = await Inner.ApplyBatchAsync(walletId, expectedVersion, writes, cancellationToken);
        return failure.Error is not null ? throw failure.Error : result;
    }

    public Task<LedgerWriteResult> ApplyAsync(string walletId, long expectedVersion, LedgerWrite write, CancellationToken cancellationToken = default) =>
        Inner.ApplyAsync(walletId, expectedVersion, write, cancellationToken);

    public Task<WalletSnapshot?> LoadAsync(string walletId, CancellationToken cancellationToken = default) => Inner.LoadAsync(walletId, cancellationToken);

    public Task<WalletMovement?> FindMovementAsync(string walletId, string reference, CancellationToken cancellationToken = default) =>
        Inner.FindMovementAsync(walletId, reference, cancellationToken);

    public Task<IReadOnlyList<WalletMovement>> ReadMovementsAsync(string walletId, long afterVersion, int limit, CancellationToken cancellationToken = default) =>
        Inner.ReadMovementsAsync(walletId, afterVersion, limit, cancellationToken);

    public Task<IReadOnlyList<LedgerEntry>> ReadEntriesAsync(string account, CancellationToken cancellationToken = default) =>
        Inner.ReadEntriesAsync(account, cancellationToken);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One silo whose wallets write to a <see cref="GatedLedgerStore"/>, at most 4 movements per write.</summary>
public sealed class GroupCommitFixture : ClusterFixture
{
    public GatedLedgerStore Store { get; } = new();

    protected override TestClusterBuilder CreateBuilder() => new TestClusterBuilder(1).ConfigureSilo(silo =>
    {
        silo.Services.AddSingleton<ILedgerStore>(Store);
        silo.Services.AddAtlasGrains();
        silo.Services.Configure<WalletOptions>(o => o.MaxMovementsPerWrite = 4);
    });
}

/// <summary>Movements that arrive while a wallet's write is in flight are committed together, with the outcomes of one-by-one.</summary>
public sealed class GroupCommitTests(GroupCommitFixture fixture) : IClassFixture<GroupCommitFixture>
{
    private GatedLedgerStore Store => fixture.Store;

    private (string Id, IWalletGrain Grain) NewWallet()
    {
        var id = WalletIds.ForUser(NewId("batched"));
        return (id, fixture.GrainFactory.GetGrain<IWalletGrain>(id));
    }

    /// <summary>
    /// Sends <paramref name="operations"/> while the wallet's first write waits at the gate, then opens it. Calls to one
    /// grain keep their order, and the wallet takes a call's movement into its queue as soon as the call arrives, so
    /// once a balance read sent after them has answered, they are all queued.
    /// </summary>
    private async Task<Outcome[]> QueueBehindAsync(string walletId, IWalletGrain wallet, Func<Task<WalletMovement>> first,
        params Func<Task<WalletMovement>>[] operations)
    {
        var entered = Store.CloseAsync(walletId);
        var inFlight = first();
        await entered.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = operations.Select(operation => operation()).ToArray();
        await wallet.GetBalance();
        Store.Open(walletId);
        var outcomes = new List<Outcome>();
        foreach (var call in queued.Prepend(inFlight))
        {
            try
            {
                outcomes.Add(new Outcome(await call, null));
            }
            catch (Exception exception)
            {
                outcomes.Add(new Outcome(null, exception));
            }
        }
        return outcomes.ToArray();
    }

    /// <summary>What a call answered: a movement, or an error.</summary>
    private sealed record Outcome(WalletMovement? Movement, Exception? Error)
    {
        public WalletMovement Result => Movement ?? throw new InvalidOperationException($"The call failed: {Error}");
    }

    [Fact]
    public async Task Movements_queued_behind_a_write_in_flight_are_written_together_in_arrival_order_up_to_the_limit()
    {
        var (id, wallet) = NewWallet();

        var calls = await QueueBehindAsync(id, wallet, () => wallet.TopUp("t0", Eur(100)),
            Enumerable.Range(1, 9).Select(i => (Func<Task<WalletMovement>>)(() => wallet.Credit($"c{i}", Eur(i)))).ToArray());

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

        var calls = await QueueBehindAsync(id, wallet, () => wallet.TopUp("t0", Eur(10)),
            () => wallet.Credit("c1", Eur(100)), () => wallet.Debit("d1", Eur(105)), () => wallet.Debit("d2", Eur(10)));

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

        var calls = await QueueBehindAsync(id, wallet, () => wallet.Credit("c1", Eur(1)),
            () => wallet.TopUp("t0", Eur(100)), () => wallet.Credit("c2", Eur(2)));

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

        var calls = await QueueBehindAsync(id, wallet, () => wallet.TopUp("t0", Eur(100)),
            () => wallet.Credit("x", Eur(7)), () => wallet.Credit("x", Eur(7)), () => wallet.Credit("y", Eur(1)));

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
        var entered = Store.CloseAsync(id);
        var inFlight = wallet.Credit("c1", Eur(1));
        await entered.WaitAsync(TimeSpan.FromSeconds(30));
        var queued = new[] { wallet.Credit("c2", Eur(2)), wallet.Debit("d1", Eur(3)) };
        await wallet.GetBalance();
        // A stale duplicate activation elsewhere writes version 2 first.
        var other = new WalletMovement(id, "other", MovementKind.Credit, Eur(50), null, Eur(150), Eur(0), 2, DateTimeOffset.UtcNow);
        await Store.Inner.ApplyAsync(id, 1, new LedgerWrite(other, [], null, null));

        Store.Open(id);

        foreach (var call in queued.Prepend(inFlight))
        {
            await Assert.ThrowsAsync<InconsistentStateException>(() => call);
        }
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
