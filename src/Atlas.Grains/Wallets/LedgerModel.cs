using Atlas.Grains.Monetary;

namespace Atlas.Grains.Wallets;

/// <summary>The kinds of money movement a wallet records.</summary>
[GenerateSerializer, Alias("atlas.MovementKind")]
public enum MovementKind
{
    /// <summary>Money enters the wallet from outside the platform.</summary>
    TopUp,
    /// <summary>Money is reserved (not moved) for a later capture.</summary>
    Hold,
    /// <summary>Reserved money leaves the wallet; the rest of the hold is released.</summary>
    Capture,
    /// <summary>A hold ends without moving money.</summary>
    Release,
    /// <summary>Money leaves the wallet (a payout or a direct charge).</summary>
    Debit,
    /// <summary>Money enters the wallet from within the platform (a driver's share, a commission).</summary>
    Credit,
    /// <summary>Money that left the wallet by a capture or debit comes back.</summary>
    Refund,
}

/// <summary>The accounts on the other side of wallet movements: every movement's entries sum to zero.</summary>
public static class CounterAccounts
{
    /// <summary>Where top-ups come from.</summary>
    public const string Funding = "external:funding";

    /// <summary>Where payouts and direct debits go.</summary>
    public const string Payouts = "external:payouts";

    /// <summary>Ride money between the rider's capture and the driver's and platform's credits.</summary>
    public const string RideClearing = "clearing:rides";

    public static string For(MovementKind kind) => kind switch
    {
        MovementKind.TopUp => Funding,
        MovementKind.Debit => Payouts,
        _ => RideClearing,
    };
}

/// <summary>Well-known wallet ids.</summary>
public static class WalletIds
{
    /// <summary>The platform's commission account.</summary>
    public const string Platform = "platform";

    /// <summary>The wallet of a rider or driver.</summary>
    public static string ForUser(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return $"user:{userId}";
    }
}

/// <summary>
/// A movement as recorded. Replaying its reference returns it (with <see cref="Replayed"/> set). A hold with a
/// <see cref="CreditLimit"/> (the commission of a cash ride, reserved on its driver's wallet) may take the available
/// balance below zero, down to minus that limit; no other movement may lower it below zero (see <see cref="LedgerRules"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.WalletMovement")]
public sealed record WalletMovement(
    [property: Id(0)] string WalletId,
    [property: Id(1)] string Reference,
    [property: Id(2)] MovementKind Kind,
    [property: Id(3)] Money Amount,
    [property: Id(4)] string? RelatedReference,
    [property: Id(5)] Money BalanceAfter,
    [property: Id(6)] Money HeldAfter,
    [property: Id(7)] long Version,
    [property: Id(8)] DateTimeOffset At,
    [property: Id(9)] bool Replayed = false,
    [property: Id(10)] Money? CreditLimit = null)
{
    /// <summary>What the wallet may still spend after this movement.</summary>
    public Money AvailableAfter => BalanceAfter - HeldAfter;

    /// <summary>The change of the wallet's balance (negative for money leaving).</summary>
    public long BalanceDelta => Kind switch
    {
        MovementKind.TopUp or MovementKind.Credit or MovementKind.Refund => Amount.Minor,
        MovementKind.Capture or MovementKind.Debit => -Amount.Minor,
        _ => 0,
    };

    /// <summary>Whether this is the same request as another (same kind, amount and related reference).</summary>
    public bool SameRequestAs(MovementKind kind, Money amount, string? relatedReference) =>
        Kind == kind && Amount == amount && RelatedReference == relatedReference;
}

/// <summary>One side of a movement: an account's signed change. A movement's entries sum to zero.</summary>
public sealed record LedgerEntry(string Account, string Reference, MovementKind Kind, long AmountMinor, string Currency, DateTimeOffset At);

/// <summary>An open hold.</summary>
public sealed record HoldRecord(string Reference, Money Amount);

/// <summary>A wallet as stored: balances, version, open holds.</summary>
public sealed record WalletSnapshot(string WalletId, Currency? Currency, long Balance, long Held, long Version, IReadOnlyDictionary<string, HoldRecord> Holds)
{
    public static WalletSnapshot Empty(string walletId) => new(walletId, null, 0, 0, 0, new Dictionary<string, HoldRecord>());

    public long Available => Balance - Held;
}

/// <summary>The balances a wallet reports.</summary>
[GenerateSerializer, Immutable, Alias("atlas.WalletBalance")]
public sealed record WalletBalance([property: Id(0)] string WalletId, [property: Id(1)] Money Balance, [property: Id(2)] Money Held, [property: Id(3)] Money Available, [property: Id(4)] long Version, [property: Id(5)] int OpenHolds);

/// <summary>
/// What one wallet operation writes, all or nothing: the movement, its entries, the wallet's new balances and
/// version, and the hold it opens or closes.
/// </summary>
public sealed record LedgerWrite(
    WalletMovement Movement,
    IReadOnlyList<LedgerEntry> Entries,
    HoldRecord? OpenedHold,
    string? ClosedHoldReference);

/// <summary>The store's answer to a write.</summary>
public abstract record LedgerWriteResult
{
    private LedgerWriteResult()
    {
    }

    /// <summary>Written.</summary>
    public sealed record Applied(WalletMovement Movement) : LedgerWriteResult;

    /// <summary>The reference was already used in this wallet: nothing was written; here is what it recorded.</summary>
    public sealed record Duplicate(WalletMovement Existing) : LedgerWriteResult;

    /// <summary>The wallet's version moved on: another writer (a stale activation?) got there first; nothing was written.</summary>
    public sealed record VersionConflict(long StoredVersion) : LedgerWriteResult;
}

/// <summary>The store's answer to several consecutive writes of one wallet, committed together or not at all.</summary>
public abstract record LedgerBatchResult
{
    private LedgerBatchResult()
    {
    }

    /// <summary>Every movement was written, in one transaction, in order.</summary>
    public sealed record Applied(IReadOnlyList<WalletMovement> Movements) : LedgerBatchResult;

    /// <summary>Nothing was written: these references were already used in the wallet; here is what they recorded.</summary>
    public sealed record Duplicates(IReadOnlyList<WalletMovement> Existing) : LedgerBatchResult;

    /// <summary>Nothing was written: the wallet's version moved on (another writer got there first).</summary>
    public sealed record VersionConflict(long StoredVersion) : LedgerBatchResult;
}

/// <summary>
/// Where wallets keep their ledger. Each write is one atomic step fenced by the wallet's version (a stale writer
/// cannot write) with references unique per wallet (a movement is recorded at most once). Implementations:
/// in-memory (tests), SQLite (embedded), PostgreSQL (production).
/// </summary>
public interface ILedgerStore
{
    Task<WalletSnapshot?> LoadAsync(string walletId, CancellationToken cancellationToken = default);

    Task<LedgerWriteResult> ApplyAsync(string walletId, long expectedVersion, LedgerWrite write, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes consecutive movements of one wallet (versions <paramref name="expectedVersion"/> + 1, + 2, …) as one atomic
    /// step: the wallet's group commit, so that a busy wallet pays for one transaction per batch, not per movement. If
    /// any reference was used before, or the version moved on, nothing is written.
    /// </summary>
    Task<LedgerBatchResult> ApplyBatchAsync(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes, CancellationToken cancellationToken = default);

    Task<WalletMovement?> FindMovementAsync(string walletId, string reference, CancellationToken cancellationToken = default);

    /// <summary>Movements with a version above <paramref name="afterVersion"/>, oldest first.</summary>
    Task<IReadOnlyList<WalletMovement>> ReadMovementsAsync(string walletId, long afterVersion, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every entry of an account (a wallet id or a counter account), oldest first.</summary>
    Task<IReadOnlyList<LedgerEntry>> ReadEntriesAsync(string account, CancellationToken cancellationToken = default);
}
