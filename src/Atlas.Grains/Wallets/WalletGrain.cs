using Atlas.Actors;
using Atlas.Grains.Monetary;

namespace Atlas.Grains.Wallets;

/// <summary>
/// The single writer of one wallet's ledger. Each operation validates against the balances it holds in memory,
/// then writes one atomic, version-fenced step to the <see cref="ILedgerStore"/>; the store also refuses a reference
/// it has seen, which makes retries safe even across a crash. If another writer moved the version on, this
/// activation is stale: it throws <see cref="InconsistentStateException"/>, the runtime drops it, and the next call
/// reloads the ledger.
/// </summary>
public sealed class WalletGrain(ILedgerStore store, TimeProvider time) : Grain, IWalletGrain
{
    private WalletSnapshot _wallet = null!;

    private string WalletId => GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _wallet = await store.LoadAsync(WalletId, cancellationToken) ?? WalletSnapshot.Empty(WalletId);

    public Task<WalletMovement> TopUp(string reference, Money amount) =>
        ApplyAsync(reference, MovementKind.TopUp, amount, relatedReference: null);

    public Task<WalletMovement> Hold(string reference, Money amount) =>
        ApplyAsync(reference, MovementKind.Hold, amount, relatedReference: null);

    public Task<WalletMovement> Capture(string reference, string holdReference, Money amount) =>
        ApplyAsync(reference, MovementKind.Capture, amount, RequireReference(holdReference, nameof(holdReference)));

    public async Task<WalletMovement> Release(string reference, string holdReference)
    {
        RequireReference(holdReference, nameof(holdReference));
        if (!_wallet.Holds.TryGetValue(holdReference, out var hold))
        {
            return await ReplayOrThrowAsync(reference, MovementKind.Release, null, holdReference, new UnknownHoldException(WalletId, holdReference));
        }
        return await ApplyAsync(reference, MovementKind.Release, hold.Amount, holdReference);
    }

    public Task<WalletMovement> Debit(string reference, Money amount) =>
        ApplyAsync(reference, MovementKind.Debit, amount, relatedReference: null);

    public Task<WalletMovement> Credit(string reference, Money amount) =>
        ApplyAsync(reference, MovementKind.Credit, amount, relatedReference: null);

    public Task<WalletMovement> Refund(string reference, string originalReference, Money amount) =>
        ApplyAsync(reference, MovementKind.Refund, amount, RequireReference(originalReference, nameof(originalReference)));

    public Task<WalletBalance> GetBalance()
    {
        var currency = _wallet.Currency ?? default;
        return Task.FromResult(new WalletBalance(WalletId, new Money(_wallet.Balance, currency), new Money(_wallet.Held, currency),
            new Money(_wallet.Available, currency), _wallet.Version, _wallet.Holds.Count));
    }

    public Task<IReadOnlyList<WalletMovement>> GetMovements(long afterVersion, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterVersion);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return store.ReadMovementsAsync(WalletId, afterVersion, Math.Min(limit, 1000));
    }

    private async Task<WalletMovement> ApplyAsync(string reference, MovementKind kind, Money amount, string? relatedReference)
    {
        RequireReference(reference, nameof(reference));
        if (!amount.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), amount.ToString(), "A movement's amount must be positive.");
        }
        if (_wallet.Currency is { } currency && currency != amount.Currency)
        {
            throw new CurrencyMismatchException(currency, amount.Currency);
        }

        var (balance, held) = (_wallet.Balance, _wallet.Held);
        HoldRecord? opened = null;
        string? closed = null;
        Exception? refusal = null;
        switch (kind)
        {
            case MovementKind.TopUp:
            case MovementKind.Credit:
                balance = checked(balance + amount.Minor);
                break;
            case MovementKind.Hold:
                if (_wallet.Holds.ContainsKey(reference))
                {
                    break; // replay of an open hold: the store reports the original
                }
                if (_wallet.Available < amount.Minor)
                {
                    refusal = new InsufficientFundsException(WalletId, amount, new Money(_wallet.Available, amount.Currency));
                }
                held += amount.Minor;
                opened = new HoldRecord(reference, amount);
                break;
            case MovementKind.Capture:
                if (!_wallet.Holds.TryGetValue(relatedReference!, out var hold))
                {
                    refusal = new UnknownHoldException(WalletId, relatedReference!);
                }
                else if (amount > hold.Amount)
                {
                    refusal = new AmountExceedsOriginalException(WalletId, reference, amount, hold.Amount);
                }
                else
                {
                    held -= hold.Amount.Minor;
                    balance -= amount.Minor;
                    closed = relatedReference;
                }
                break;
            case MovementKind.Release:
                held -= amount.Minor;
                closed = relatedReference;
                break;
            case MovementKind.Debit:
                if (_wallet.Available < amount.Minor)
                {
                    refusal = new InsufficientFundsException(WalletId, amount, new Money(_wallet.Available, amount.Currency));
                }
                balance -= amount.Minor;
                break;
            case MovementKind.Refund:
                refusal = await CheckRefundAsync(reference, relatedReference!, amount);
                balance = checked(balance + amount.Minor);
                break;
        }
        if (refusal is not null)
        {
            // A retry of a movement that was applied may no longer pass the checks: answer it from the ledger.
            return await ReplayOrThrowAsync(reference, kind, amount, relatedReference, refusal);
        }

        var version = _wallet.Version + 1;
        var movement = new WalletMovement(WalletId, reference, kind, amount, relatedReference,
            new Money(balance, amount.Currency), new Money(held, amount.Currency), version, time.GetUtcNow());
        var entries = EntriesOf(movement);
        var result = await store.ApplyAsync(WalletId, _wallet.Version, new LedgerWrite(movement, entries, opened, closed));
        switch (result)
        {
            case LedgerWriteResult.Applied applied:
                var holds = _wallet.Holds;
                if (opened is not null || closed is not null)
                {
                    var changed = new Dictionary<string, HoldRecord>(holds);
                    if (opened is not null)
                    {
                        changed[opened.Reference] = opened;
                    }
                    if (closed is not null)
                    {
                        changed.Remove(closed);
                    }
                    holds = changed;
                }
                _wallet = new WalletSnapshot(WalletId, amount.Currency, balance, held, version, holds);
                return applied.Movement;
            case LedgerWriteResult.Duplicate duplicate:
                return CheckReplay(duplicate.Existing, kind, amount, relatedReference);
            case LedgerWriteResult.VersionConflict conflict:
                throw new InconsistentStateException(
                    $"Wallet {WalletId} is at version {conflict.StoredVersion}, this activation had {_wallet.Version}: another writer got there first.",
                    conflict.StoredVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _wallet.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            default:
                throw new InvalidOperationException($"Unexpected ledger result {result}.");
        }
    }

    private async Task<Exception?> CheckRefundAsync(string reference, string originalReference, Money amount)
    {
        var original = await store.FindMovementAsync(WalletId, originalReference);
        if (original is null || original.Kind is not (MovementKind.Capture or MovementKind.Debit))
        {
            return new UnknownMovementException(WalletId, originalReference);
        }
        var refunded = (await store.ReadMovementsAsync(WalletId, 0, int.MaxValue))
            .Where(m => m.Kind == MovementKind.Refund && m.RelatedReference == originalReference && m.Reference != reference)
            .Sum(m => m.Amount.Minor);
        var limit = new Money(original.Amount.Minor - refunded, original.Amount.Currency);
        return amount > limit ? new AmountExceedsOriginalException(WalletId, reference, amount, limit) : null;
    }

    private async Task<WalletMovement> ReplayOrThrowAsync(string reference, MovementKind kind, Money? amount, string? relatedReference, Exception refusal)
    {
        var existing = await store.FindMovementAsync(WalletId, reference);
        if (existing is null)
        {
            throw refusal;
        }
        return CheckReplay(existing, kind, amount ?? existing.Amount, relatedReference);
    }

    private WalletMovement CheckReplay(WalletMovement existing, MovementKind kind, Money amount, string? relatedReference) =>
        existing.SameRequestAs(kind, amount, relatedReference)
            ? existing with { Replayed = true }
            : throw new IdempotencyConflictException(WalletId, existing.Reference,
                Describe(existing.Kind, existing.Amount, existing.RelatedReference), Describe(kind, amount, relatedReference));

    private static string Describe(MovementKind kind, Money amount, string? related) =>
        $"{kind} of {amount}{(related is null ? "" : $" for '{related}'")}";

    private static IReadOnlyList<LedgerEntry> EntriesOf(WalletMovement movement)
    {
        if (movement.BalanceDelta == 0)
        {
            return [];
        }
        var currency = movement.Amount.Currency.Code;
        return
        [
            new LedgerEntry(movement.WalletId, movement.Reference, movement.Kind, movement.BalanceDelta, currency, movement.At),
            new LedgerEntry(CounterAccounts.For(movement.Kind), $"{movement.WalletId}/{movement.Reference}", movement.Kind, -movement.BalanceDelta, currency, movement.At),
        ];
    }

    private static string RequireReference(string reference, string name)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            throw new ArgumentException("A movement needs a non-empty idempotency reference.", name);
        }
        if (reference.Length > 200)
        {
            throw new ArgumentException("A reference may have at most 200 characters.", name);
        }
        return reference;
    }
}
