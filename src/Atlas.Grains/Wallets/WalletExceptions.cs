using Atlas.Grains.Common;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Wallets;

/// <summary>The wallet cannot spend or reserve that much: nothing was changed.</summary>
public sealed class InsufficientFundsException(string walletId, Money requested, Money available)
    : DomainException($"Wallet {walletId} has {available} available; {requested} was requested.")
{
    public string WalletId { get; } = walletId;
    public Money Requested { get; } = requested;
    public Money Available { get; } = available;
}

/// <summary>A reference was used before for a different movement: nothing was changed.</summary>
public sealed class IdempotencyConflictException(string walletId, string reference, string recorded, string requested)
    : DomainException($"Reference '{reference}' of wallet {walletId} already recorded {recorded}; it cannot now mean {requested}.")
{
    public string WalletId { get; } = walletId;
    public string Reference { get; } = reference;
    public string Recorded { get; } = recorded;
    public string Requested { get; } = requested;
}

/// <summary>No open hold has that reference (never placed, or already captured or released).</summary>
public sealed class UnknownHoldException(string walletId, string holdReference)
    : DomainException($"Wallet {walletId} has no open hold '{holdReference}'.")
{
    public string WalletId { get; } = walletId;
    public string HoldReference { get; } = holdReference;
}

/// <summary>A capture asked for more than its hold reserved, or a refund for more than was charged.</summary>
public sealed class AmountExceedsOriginalException(string walletId, string reference, Money requested, Money limit)
    : DomainException($"Wallet {walletId}: {reference} asks for {requested}, more than the {limit} it may take.")
{
    public string WalletId { get; } = walletId;
    public string Reference { get; } = reference;
    public Money Requested { get; } = requested;
    public Money Limit { get; } = limit;
}

/// <summary>A refund names a movement that took no money from the wallet.</summary>
public sealed class UnknownMovementException(string walletId, string reference)
    : DomainException($"Wallet {walletId} has no capture or debit '{reference}' to refund.")
{
    public string WalletId { get; } = walletId;
    public string Reference { get; } = reference;
}
