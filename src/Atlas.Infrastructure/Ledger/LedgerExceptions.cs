namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// A ledger store could not reach its database (down, unreachable, too slow, file locked). Nothing was written by the
/// failed call, or — if the connection broke while the commit was being acknowledged — it was written once: the
/// reference is unique per wallet, so a retry with the same reference returns the original movement. Callers may
/// retry later; an HTTP edge maps it to 503.
/// </summary>
[GenerateSerializer, Alias("atlas.LedgerUnavailableException")]
public sealed class LedgerUnavailableException : Exception
{
    public LedgerUnavailableException(string message, string store, Exception? inner = null) : base(message, inner)
    {
        Store = store;
    }

    /// <summary>The store that failed, e.g. <c>PostgreSQL ledger</c>.</summary>
    [Id(0)]
    public string Store { get; }
}

/// <summary>
/// The database refused a ledger write because it would break an invariant (a negative balance, entries that do not
/// sum to zero, a gap in the versions, a changed entry). Nothing was written. This is a bug in the caller, never a
/// user error: the wallet grain checks every rule before it writes.
/// </summary>
[GenerateSerializer, Alias("atlas.LedgerInvariantViolationException")]
public sealed class LedgerInvariantViolationException : InvalidOperationException
{
    public LedgerInvariantViolationException(string message, string walletId, string invariant, Exception? inner = null) : base(message, inner)
    {
        WalletId = walletId;
        Invariant = invariant;
    }

    /// <summary>The wallet the write was for.</summary>
    [Id(0)]
    public string WalletId { get; }

    /// <summary>The rule that was broken: the database constraint's name, e.g. <c>wallets_available_non_negative</c>.</summary>
    [Id(1)]
    public string Invariant { get; }
}
