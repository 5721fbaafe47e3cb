using System.Collections.Concurrent;

namespace Atlas.Grains.Wallets;

/// <summary>A ledger kept in memory (tests, the TestCluster): the same atomicity, fencing and uniqueness as the durable stores.</summary>
public sealed class InMemoryLedgerStore : ILedgerStore
{
    private readonly ConcurrentDictionary<string, Book> _books = new();
    private readonly ConcurrentDictionary<string, List<LedgerEntry>> _entries = new();

    private sealed class Book(string walletId)
    {
        public WalletSnapshot Snapshot { get; set; } = WalletSnapshot.Empty(walletId);
        public Dictionary<string, WalletMovement> ByReference { get; } = [];
        public List<WalletMovement> Movements { get; } = [];
    }

    public Task<WalletSnapshot?> LoadAsync(string walletId, CancellationToken cancellationToken = default)
    {
        if (!_books.TryGetValue(walletId, out var book))
        {
            return Task.FromResult<WalletSnapshot?>(null);
        }
        lock (book)
        {
            // A refused first write leaves an empty book behind: the wallet still does not exist.
            return Task.FromResult<WalletSnapshot?>(book.Snapshot.Version == 0 ? null : book.Snapshot);
        }
    }

    public async Task<LedgerWriteResult> ApplyAsync(string walletId, long expectedVersion, LedgerWrite write, CancellationToken cancellationToken = default) =>
        await ApplyBatchAsync(walletId, expectedVersion, [write], cancellationToken) switch
        {
            LedgerBatchResult.Applied applied => new LedgerWriteResult.Applied(applied.Movements[0]),
            LedgerBatchResult.Duplicates duplicates => new LedgerWriteResult.Duplicate(duplicates.Existing[0]),
            LedgerBatchResult.VersionConflict conflict => new LedgerWriteResult.VersionConflict(conflict.StoredVersion),
            var other => throw new InvalidOperationException($"Unexpected ledger result {other}."),
        };

    public Task<LedgerBatchResult> ApplyBatchAsync(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            throw new ArgumentException("A ledger write needs at least one movement.", nameof(writes));
        }
        var book = _books.GetOrAdd(walletId, id => new Book(id));
        lock (book)
        {
            var duplicates = writes.Select(w => book.ByReference.GetValueOrDefault(w.Movement.Reference)).OfType<WalletMovement>().ToArray();
            if (duplicates.Length > 0)
            {
                return Task.FromResult<LedgerBatchResult>(new LedgerBatchResult.Duplicates(duplicates.Select(d => d with { Replayed = true }).ToArray()));
            }
            if (book.Snapshot.Version != expectedVersion)
            {
                return Task.FromResult<LedgerBatchResult>(new LedgerBatchResult.VersionConflict(book.Snapshot.Version));
            }
            // Check all before writing any: the batch is all or nothing.
            var references = new HashSet<string>();
            var (balance, held) = (book.Snapshot.Balance, book.Snapshot.Held);
            for (var i = 0; i < writes.Count; i++)
            {
                var movement = writes[i].Movement;
                if (movement.WalletId != walletId || movement.Version != expectedVersion + i + 1 || !references.Add(movement.Reference))
                {
                    throw new ArgumentException($"Movement {movement.Reference} of wallet {movement.WalletId} (version {movement.Version}) does not follow version {expectedVersion + i} of wallet {walletId}, or repeats a reference.", nameof(writes));
                }
                if (LedgerRules.Violation(movement, balance, held) is not null || writes[i].Entries.Sum(e => e.AmountMinor) != 0)
                {
                    throw new InvalidOperationException($"Ledger invariant violated by {movement.Reference} in {walletId}: the balance rules must hold and entries must sum to zero.");
                }
                (balance, held) = (movement.BalanceAfter.Minor, movement.HeldAfter.Minor);
            }
            var holds = new Dictionary<string, HoldRecord>(book.Snapshot.Holds);
            foreach (var write in writes)
            {
                var movement = write.Movement;
                if (write.OpenedHold is { } opened)
                {
                    holds[opened.Reference] = opened;
                }
                if (write.ClosedHoldReference is { } closed)
                {
                    holds.Remove(closed);
                }
                book.Snapshot = new WalletSnapshot(walletId, movement.Amount.Currency, movement.BalanceAfter.Minor, movement.HeldAfter.Minor, movement.Version, holds);
                book.ByReference[movement.Reference] = movement;
                book.Movements.Add(movement);
                foreach (var entry in write.Entries)
                {
                    var list = _entries.GetOrAdd(entry.Account, _ => []);
                    lock (list)
                    {
                        list.Add(entry);
                    }
                }
            }
            return Task.FromResult<LedgerBatchResult>(new LedgerBatchResult.Applied(writes.Select(w => w.Movement).ToArray()));
        }
    }

    public Task<WalletMovement?> FindMovementAsync(string walletId, string reference, CancellationToken cancellationToken = default)
    {
        if (!_books.TryGetValue(walletId, out var book))
        {
            return Task.FromResult<WalletMovement?>(null);
        }
        lock (book)
        {
            return Task.FromResult(book.ByReference.TryGetValue(reference, out var movement) ? movement with { Replayed = true } : null);
        }
    }

    public Task<IReadOnlyList<WalletMovement>> ReadMovementsAsync(string walletId, long afterVersion, int limit, CancellationToken cancellationToken = default)
    {
        if (!_books.TryGetValue(walletId, out var book))
        {
            return Task.FromResult<IReadOnlyList<WalletMovement>>([]);
        }
        lock (book)
        {
            return Task.FromResult<IReadOnlyList<WalletMovement>>(book.Movements.Where(m => m.Version > afterVersion).Take(limit).ToArray());
        }
    }

    public Task<IReadOnlyList<LedgerEntry>> ReadEntriesAsync(string account, CancellationToken cancellationToken = default)
    {
        if (!_entries.TryGetValue(account, out var list))
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>([]);
        }
        lock (list)
        {
            return Task.FromResult<IReadOnlyList<LedgerEntry>>(list.ToArray());
        }
    }

    /// <summary>Every wallet id that has a book (for audits in tests).</summary>
    public IReadOnlyCollection<string> WalletIds => _books.Keys.ToArray();
}
