using System.Collections.Concurrent;
using Atlas.Grains.Wallets;

namespace Atlas.Grains.Tests.Wallets;

/// <summary>
/// A ledger store whose writes for a wallet can be held at a gate (so that movements queue behind one in flight),
/// that records the size of every write, and that can fail a write before or after applying it.
/// </summary>
public sealed class GatedLedgerStore(InMemoryLedgerStore inner) : ILedgerStore
{
    private readonly ConcurrentDictionary<string, (TaskCompletionSource Entered, TaskCompletionSource Open)> _gates = new();
    private readonly ConcurrentDictionary<string, (Exception Error, bool AfterApplying)> _failures = new();

    public InMemoryLedgerStore Inner { get; } = inner;

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
