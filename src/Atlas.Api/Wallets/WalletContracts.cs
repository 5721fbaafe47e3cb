using Atlas.Grains.Wallets;

namespace Atlas.Api.Wallets;

/// <summary><c>POST /wallet/topup</c>: <c>amount</c> in minor units (cents), <c>currency</c> code, optional <c>reference</c> that makes retries safe.</summary>
public sealed record TopUpRequest(long? Amount, string? Currency, string? Reference = null);

/// <summary>A wallet's balances in minor units; <c>currency</c> is null until the first movement fixes it.</summary>
public sealed record WalletDetails(string WalletId, string? Currency, long Balance, long Held, long Available, long Version, int OpenHolds)
{
    public static WalletDetails From(WalletBalance balance) => new(
        balance.WalletId, balance.Version == 0 ? null : balance.Balance.Currency.Code, balance.Balance.Minor, balance.Held.Minor,
        balance.Available.Minor, balance.Version, balance.OpenHolds);
}

/// <summary>
/// One ledger movement of a wallet. <c>credit_limit</c> is set on a hold on credit (a cash ride's commission reserved on
/// its driver's wallet): how far below zero it was allowed to take the wallet.
/// </summary>
public sealed record MovementDetails(
    string Reference,
    string Kind,
    long Amount,
    string Currency,
    string? RelatedReference,
    long BalanceAfter,
    long HeldAfter,
    long Version,
    DateTimeOffset At,
    long? CreditLimit = null)
{
    public static MovementDetails From(WalletMovement movement) => new(
        movement.Reference, KindName(movement.Kind), movement.Amount.Minor, movement.Amount.Currency.Code, movement.RelatedReference,
        movement.BalanceAfter.Minor, movement.HeldAfter.Minor, movement.Version, movement.At, movement.CreditLimit?.Minor);

    public static string KindName(MovementKind kind) => kind switch
    {
        MovementKind.TopUp => "top_up",
        _ => kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>The answer to a top-up: the movement and the wallet after it. <c>replayed</c> when the reference was seen before.</summary>
public sealed record TopUpResult(MovementDetails Movement, WalletDetails Wallet, bool Replayed);

/// <summary>A page of movements, oldest first; pass <c>next_after_version</c> as <c>after_version</c> for the next page.</summary>
public sealed record MovementPage(IReadOnlyList<MovementDetails> Movements, long NextAfterVersion);
