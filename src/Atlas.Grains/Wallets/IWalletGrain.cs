using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Wallets;

/// <summary>
/// A wallet (key: <see cref="WalletIds"/>): the single writer of its ledger. Every movement carries an idempotency
/// reference: a retry returns the original result; the same reference for a different movement is refused. A wallet
/// never goes negative, counting holds, except by a hold on credit (<see cref="HoldOnCredit"/>), within its limit.
/// </summary>
public interface IWalletGrain : IGrainWithStringKey
{
    Task<WalletMovement> TopUp(string reference, Money amount);

    /// <summary>Reserves money for a later capture; fails with <see cref="InsufficientFundsException"/> if not available.</summary>
    Task<WalletMovement> Hold(string reference, Money amount);

    /// <summary>
    /// Reserves money that may take the available balance below zero, down to minus <paramref name="creditLimit"/>: the
    /// commission of a cash ride on its driver's wallet. Fails with <see cref="CreditLimitReachedException"/> if the
    /// reservation would go beyond the limit. Captured and released like any hold.
    /// </summary>
    Task<WalletMovement> HoldOnCredit(string reference, Money amount, Money creditLimit);

    /// <summary>Takes up to the held amount and releases the rest of the hold.</summary>
    Task<WalletMovement> Capture(string reference, string holdReference, Money amount);

    Task<WalletMovement> Release(string reference, string holdReference);

    Task<WalletMovement> Debit(string reference, Money amount);

    Task<WalletMovement> Credit(string reference, Money amount);

    /// <summary>Gives back (part of) what a capture or debit took.</summary>
    Task<WalletMovement> Refund(string reference, string originalReference, Money amount);

    [ReadOnly]
    Task<WalletBalance> GetBalance();

    /// <summary>Movements after <paramref name="afterVersion"/>, oldest first.</summary>
    [ReadOnly]
    Task<IReadOnlyList<WalletMovement>> GetMovements(long afterVersion, int limit);
}
