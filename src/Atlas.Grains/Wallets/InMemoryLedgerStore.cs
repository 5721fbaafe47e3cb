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

    public Task<LedgerWriteResult> ApplyAsync(string walletId, long expectedVersion, LedgerWrite write, CancellationToken cancellationToken = default)
    {
        var book = _books.GetOrAdd(walletId, id => new Book(id));
        lock (book)
        {
            var movement = write.Movement;
            if (book.ByReference.TryGetValue(movement.Reference, out var existing))
            {
                return Task.FromResult<LedgerWriteResult>(new LedgerWriteResult.Duplicate(existing with { Replayed = true }));
            }
            if (book.Snapshot.Version != expectedVersion)
            {
                return Task.FromResult<LedgerWriteResult>(new LedgerWriteResult.VersionConflict(book.Snapshot.Version));
            }
            if (movement.BalanceAfter.IsNegative || movement.AvailableAfter.IsNegative || write.Entries.Sum(e => e.AmountMinor) != 0)
            {
                throw new InvalidOperationException($"Ledger invariant violated by {movement.Reference} in {walletId}: balances must stay non-negative and entries must sum to zero.");
            }
            var holds = new Dictionary<string, HoldRecord>(book.Snapshot.Holds);
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
            return Task.FromResult<LedgerWriteResult>(new LedgerWriteResult.Applied(movement));
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
