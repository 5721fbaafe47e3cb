using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;

namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// Consecutive writes of one wallet that a store commits together (<see cref="ILedgerStore.ApplyBatchAsync"/>; one for
/// <see cref="ILedgerStore.ApplyAsync"/>):
/// checked for shape (the wallet, consecutive versions, distinct references), with the wallet's state after the last
/// one and the net change of its holds.
/// </summary>
internal sealed class LedgerBatch
{
    private LedgerBatch(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes)
    {
        WalletId = walletId;
        ExpectedVersion = expectedVersion;
        Writes = writes;
        var last = writes[^1].Movement;
        Final = (last.Amount.Currency, last.BalanceAfter.Minor, last.HeldAfter.Minor, last.Version);

        // A hold opened and closed by the same batch never reaches the table: one statement cannot insert and delete a row.
        var opened = new Dictionary<string, HoldRecord>(StringComparer.Ordinal);
        var closed = new List<string>();
        foreach (var write in writes)
        {
            if (write.OpenedHold is { } hold)
            {
                opened[hold.Reference] = hold;
            }
            if (write.ClosedHoldReference is { } reference && !opened.Remove(reference))
            {
                closed.Add(reference);
            }
        }
        OpenedHolds = opened.Values.ToArray();
        ClosedHolds = closed;
    }

    public string WalletId { get; }

    public long ExpectedVersion { get; }

    public IReadOnlyList<LedgerWrite> Writes { get; }

    /// <summary>The wallet's row after the batch.</summary>
    public (Currency Currency, long Balance, long Held, long Version) Final { get; }

    /// <summary>Holds to insert: opened by the batch and not closed by it.</summary>
    public IReadOnlyList<HoldRecord> OpenedHolds { get; }

    /// <summary>Holds to delete: closed by the batch, opened before it.</summary>
    public IReadOnlyList<string> ClosedHolds { get; }

    public IEnumerable<string> References => Writes.Select(w => w.Movement.Reference);

    /// <summary>Checks the shape of the writes (not the ledger's rules: the store or its database enforces those).</summary>
    /// <exception cref="ArgumentException">Another wallet's movement, versions that do not follow <paramref name="expectedVersion"/>, or a reference twice.</exception>
    public static LedgerBatch Of(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(walletId);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            throw new ArgumentException("A ledger write needs at least one movement.", nameof(writes));
        }
        var references = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < writes.Count; i++)
        {
            var movement = writes[i].Movement;
            if (movement.WalletId != walletId)
            {
                throw new ArgumentException($"Movement {movement.Reference} belongs to wallet {movement.WalletId}, not {walletId}.", nameof(writes));
            }
            if (movement.Version != expectedVersion + i + 1)
            {
                throw new ArgumentException(
                    $"Movement {movement.Reference} of wallet {walletId} has version {movement.Version}; after version {expectedVersion + i} it must be {expectedVersion + i + 1}.",
                    nameof(writes));
            }
            if (!references.Add(movement.Reference))
            {
                throw new ArgumentException($"Reference {movement.Reference} appears twice in one write of wallet {walletId}.", nameof(writes));
            }
        }
        return new LedgerBatch(walletId, expectedVersion, writes);
    }

    /// <summary>The change a movement makes to its wallet's balance, as its entries on the wallet must total.</summary>
    public static long BalanceDeltaOf(MovementKind kind, long amount) => kind switch
    {
        MovementKind.TopUp or MovementKind.Credit or MovementKind.Refund => amount,
        MovementKind.Capture or MovementKind.Debit => -amount,
        _ => 0,
    };
}

/// <summary>Turns a batch's result into the result of a single write.</summary>
internal static class LedgerBatchResults
{
    public static LedgerWriteResult ToWriteResult(this LedgerBatchResult result) => result switch
    {
        LedgerBatchResult.Applied applied => new LedgerWriteResult.Applied(applied.Movements[0]),
        LedgerBatchResult.Duplicates duplicates => new LedgerWriteResult.Duplicate(duplicates.Existing[0]),
        LedgerBatchResult.VersionConflict conflict => new LedgerWriteResult.VersionConflict(conflict.StoredVersion),
        _ => throw new InvalidOperationException($"Unexpected ledger result {result}."),
    };
}
