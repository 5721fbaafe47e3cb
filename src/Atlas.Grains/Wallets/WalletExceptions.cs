using Atlas.Grains.Common;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Wallets;

/// <summary>The wallet cannot spend or reserve that much: nothing was changed.</summary>
[GenerateSerializer, Alias("atlas.InsufficientFundsException")]
public sealed class InsufficientFundsException(string walletId, Money requested, Money available)
    : DomainException($"Wallet {walletId} has {available} available; {requested} was requested.")
{
    [Id(0)]
    public string WalletId { get; } = walletId;
    [Id(1)]
    public Money Requested { get; } = requested;
    [Id(2)]
    public Money Available { get; } = available;
}

/// <summary>A reference was used before for a different movement: nothing was changed.</summary>
[GenerateSerializer, Alias("atlas.IdempotencyConflictException")]
public sealed class IdempotencyConflictException(string walletId, string reference, string recorded, string requested)
    : DomainException($"Reference '{reference}' of wallet {walletId} already recorded {recorded}; it cannot now mean {requested}.")
{
    [Id(0)]
    public string WalletId { get; } = walletId;
    [Id(1)]
    public string Reference { get; } = reference;
    [Id(2)]
    public string Recorded { get; } = recorded;
    [Id(3)]
    public string Requested { get; } = requested;
}

/// <summary>No open hold has that reference (never placed, or already captured or released).</summary>
[GenerateSerializer, Alias("atlas.UnknownHoldException")]
public sealed class UnknownHoldException(string walletId, string holdReference)
    : DomainException($"Wallet {walletId} has no open hold '{holdReference}'.")
{
    [Id(0)]
    public string WalletId { get; } = walletId;
    [Id(1)]
    public string HoldReference { get; } = holdReference;
}

/// <summary>A capture asked for more than its hold reserved, or a refund for more than was charged.</summary>
[GenerateSerializer, Alias("atlas.AmountExceedsOriginalException")]
public sealed class AmountExceedsOriginalException(string walletId, string reference, Money requested, Money limit)
    : DomainException($"Wallet {walletId}: {reference} asks for {requested}, more than the {limit} it may take.")
{
    [Id(0)]
    public string WalletId { get; } = walletId;
    [Id(1)]
    public string Reference { get; } = reference;
    [Id(2)]
    public Money Requested { get; } = requested;
    [Id(3)]
    public Money Limit { get; } = limit;
}

/// <summary>A refund names a movement that took no money from the wallet.</summary>
[GenerateSerializer, Alias("atlas.UnknownMovementException")]
public sealed class UnknownMovementException(string walletId, string reference)
    : DomainException($"Wallet {walletId} has no capture or debit '{reference}' to refund.")
{
    [Id(0)]
    public string WalletId { get; } = walletId;
    [Id(1)]
    public string Reference { get; } = reference;
}

/// <summary>A hold on credit would take the wallet beyond its credit limit: nothing was changed.</summary>
[GenerateSerializer, Alias("atlas.CreditLimitReachedException")]
public sealed class CreditLimitReachedException(string walletId, Money requested, Money available, Money creditLimit)
    : DomainException($"Wallet {walletId} has {available} available and may go down to -{creditLimit}; {requested} was requested.")
{
    [Id(0)]
    public string WalletId { get; } = walletId;
    [Id(1)]
    public Money Requested { get; } = requested;
    [Id(2)]
    public Money Available { get; } = available;
    [Id(3)]
    public Money CreditLimit { get; } = creditLimit;
}
