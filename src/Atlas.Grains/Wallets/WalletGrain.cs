using System.Globalization;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Storage;
using Atlas.Grains.Monetary;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Wallets;

/// <summary>
/// The single writer of one wallet's ledger. Each operation is checked, in arrival order, against the balances the
/// wallet will have after the operations before it, then written to the <see cref="ILedgerStore"/> in one atomic,
/// version-fenced step; the store also refuses a reference it has seen, which makes retries safe even across a crash.
/// If another writer moved the version on, this activation is stale: it throws <see cref="InconsistentStateException"/>,
/// the runtime drops it, and the next call reloads the ledger.
/// <para>
/// Group commit: the grain is reentrant so that operations arriving while a write is in flight queue up, and the next
/// write carries all of them (up to <see cref="WalletOptions.MaxMovementsPerWrite"/>) in one store transaction. A busy
/// wallet — the platform's, which every finished ride credits — then costs one round trip per batch, not per movement.
/// Only one write is in flight at a time and every decision is taken by that single loop, so the reentrancy changes no
/// outcome: the results are those of the operations applied one by one in arrival order.
/// </para>
/// </summary>
[Reentrant]
public sealed class WalletGrain(ILedgerStore store, TimeProvider time, IOptions<WalletOptions> options) : Grain, IWalletGrain
{
    private readonly Queue<Operation> _queue = new();
    private readonly int _maxPerWrite = Math.Max(1, options.Value.MaxMovementsPerWrite);
    private WalletSnapshot _wallet = null!;
    private bool _committing;

    /// <summary>A write failed without an answer (the store was unreachable): what it holds is unknown until reloaded.</summary>
    private bool _stale;

    private string WalletId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _wallet = await store.LoadAsync(WalletId, cancellationToken) ?? WalletSnapshot.Empty(WalletId);

    public Task<WalletMovement> TopUp(string reference, Money amount) =>
        EnqueueAsync(reference, MovementKind.TopUp, amount, relatedReference: null);

    public Task<WalletMovement> Hold(string reference, Money amount) =>
        EnqueueAsync(reference, MovementKind.Hold, amount, relatedReference: null);

    public Task<WalletMovement> HoldOnCredit(string reference, Money amount, Money creditLimit)
    {
        if (creditLimit.IsNegative || creditLimit.Currency != amount.Currency)
        {
            throw new ArgumentOutOfRangeException(nameof(creditLimit), creditLimit.ToString(), "A credit limit is not negative and in the hold's currency.");
        }
        return EnqueueAsync(reference, MovementKind.Hold, amount, relatedReference: null, creditLimit);
    }

    public Task<WalletMovement> Capture(string reference, string holdReference, Money amount) =>
        EnqueueAsync(reference, MovementKind.Capture, amount, RequireReference(holdReference, nameof(holdReference)));

    public Task<WalletMovement> Release(string reference, string holdReference)
    {
        RequireReference(holdReference, nameof(holdReference));
        // The amount is the hold's, known when the release's turn comes.
        return EnqueueAsync(reference, MovementKind.Release, amount: null, holdReference);
    }

    public Task<WalletMovement> Debit(string reference, Money amount) =>
        EnqueueAsync(reference, MovementKind.Debit, amount, relatedReference: null);

    public Task<WalletMovement> Credit(string reference, Money amount) =>
        EnqueueAsync(reference, MovementKind.Credit, amount, relatedReference: null);

    public Task<WalletMovement> Refund(string reference, string originalReference, Money amount) =>
        EnqueueAsync(reference, MovementKind.Refund, amount, RequireReference(originalReference, nameof(originalReference)));

    /// <summary>The committed balances (an operation still being written is not counted yet).</summary>
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

    /// <summary>An operation waiting for its turn, and the caller waiting for its answer.</summary>
    private sealed class Operation(string reference, MovementKind kind, Money? amount, string? relatedReference, Money? creditLimit)
    {
        public Money? CreditLimit { get; } = creditLimit;
        public string Reference { get; } = reference;
        public MovementKind Kind { get; } = kind;
        public Money? Amount { get; } = amount;
        public string? RelatedReference { get; } = relatedReference;
        public TaskCompletionSource<WalletMovement> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What checking an operation gave: the write to make, or why it is refused (unless it is a retry).</summary>
    private readonly record struct Decision(LedgerWrite? Write, Exception? Refusal);

    private Task<WalletMovement> EnqueueAsync(string reference, MovementKind kind, Money? amount, string? relatedReference, Money? creditLimit = null)
    {
        RequireReference(reference, nameof(reference));
        if (amount is { IsPositive: false } nonPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), nonPositive.ToString(), "A movement's amount must be positive.");
        }
        var operation = new Operation(reference, kind, amount, relatedReference, creditLimit);
        _queue.Enqueue(operation);
        if (!_committing)
        {
            _committing = true;
            // Runs on this activation (its awaits come back here), beside the requests that wait for their answers.
            _ = CommitAsync();
        }
        return operation.Answer.Task;
    }

    /// <summary>Takes the queued operations in order, a batch at a time, until none is left.</summary>
    private async Task CommitAsync()
    {
        try
        {
            while (_queue.Count > 0)
            {
                if (_stale)
                {
                    _wallet = await store.LoadAsync(WalletId) ?? WalletSnapshot.Empty(WalletId);
                    _stale = false;
                }
                await CommitBatchAsync();
            }
        }
        catch (Exception exception)
        {
            // Reloading failed (the store is down) or a bug: nobody may wait forever.
            _stale = true;
            while (_queue.TryDequeue(out var operation))
            {
                operation.Answer.TrySetException(exception);
            }
        }
        finally
        {
            _committing = false;
        }
    }

    private async Task CommitBatchAsync()
    {
        var state = new Plan(_wallet);
        var taken = new List<(Operation Operation, Decision Decision)>();
        var references = new HashSet<string>(StringComparer.Ordinal);
        var writes = 0;
        while (_queue.TryPeek(out var next) && writes < _maxPerWrite)
        {
            // An operation whose answer depends on one in this batch (the same reference), or that reads the committed
            // ledger (a refund), waits for the next batch.
            if (references.Contains(next.Reference) || (next.Kind == MovementKind.Refund && taken.Count > 0))
            {
                break;
            }
            _queue.Dequeue();
            references.Add(next.Reference);
            Decision decision;
            try
            {
                decision = await DecideAsync(next, state);
            }
            catch (Exception exception)
            {
                // Refused for good, whatever the ledger holds (a currency mismatch, an overflow).
                next.Answer.TrySetException(exception);
                continue;
            }
            taken.Add((next, decision));
            if (decision.Write is not null)
            {
                writes++;
            }
        }

        var toWrite = taken.Where(t => t.Decision.Write is not null).ToList();
        if (toWrite.Count > 0)
        {
            LedgerBatchResult result;
            try
            {
                result = await store.ApplyBatchAsync(WalletId, _wallet.Version, toWrite.Select(t => t.Decision.Write!).ToArray());
            }
            catch (Exception exception)
            {
                // Maybe written, maybe not (the connection broke): reload before deciding anything else.
                _stale = true;
                foreach (var (operation, _) in taken)
                {
                    operation.Answer.TrySetException(exception);
                }
                return;
            }
            switch (result)
            {
                case LedgerBatchResult.Applied applied:
                    _wallet = state.Snapshot;
                    WalletMetrics.BatchSize.Record(toWrite.Count);
                    for (var i = 0; i < toWrite.Count; i++)
                    {
                        WalletMetrics.Movements.Add(1, WalletMetrics.KindTag(toWrite[i].Operation.Kind));
                        toWrite[i].Operation.Answer.TrySetResult(applied.Movements[i]);
                    }
                    break;
                case LedgerBatchResult.Duplicates duplicates:
                    // Nothing was written: answer the retries, and decide the others again (they counted on the retries' effect).
                    var existing = duplicates.Existing.ToDictionary(m => m.Reference, StringComparer.Ordinal);
                    var again = new List<Operation>();
                    foreach (var (operation, _) in taken)
                    {
                        if (existing.TryGetValue(operation.Reference, out var movement))
                        {
                            Answer(operation, () => CheckReplay(movement, operation.Kind, operation.Amount ?? movement.Amount, operation.RelatedReference));
                        }
                        else
                        {
                            again.Add(operation);
                        }
                    }
                    Requeue(again);
                    return;
                case LedgerBatchResult.VersionConflict conflict:
                    // Another writer moved the ledger on: every decision here is void; the runtime drops this activation.
                    _stale = true;
                    foreach (var operation in taken.Select(t => t.Operation).Concat(_queue))
                    {
                        operation.Answer.TrySetException(new InconsistentStateException(
                            $"Wallet {WalletId} is at version {conflict.StoredVersion}, this activation had {_wallet.Version}: another writer got there first.",
                            conflict.StoredVersion.ToString(CultureInfo.InvariantCulture),
                            _wallet.Version.ToString(CultureInfo.InvariantCulture)));
                    }
                    _queue.Clear();
                    return;
                default:
                    throw new InvalidOperationException($"Unexpected ledger result {result}.");
            }
        }

        // A retry of a movement that was applied may no longer pass the checks: answer it from the ledger.
        foreach (var (operation, decision) in taken.Where(t => t.Decision.Refusal is not null))
        {
            try
            {
                var recorded = await store.FindMovementAsync(WalletId, operation.Reference);
                if (recorded is null && decision.Refusal is InsufficientFundsException)
                {
                    WalletMetrics.InsufficientFunds.Add(1);
                }
                Answer(operation, () => recorded is null
                    ? throw decision.Refusal!
                    : CheckReplay(recorded, operation.Kind, operation.Amount ?? recorded.Amount, operation.RelatedReference));
            }
            catch (Exception exception)
            {
                operation.Answer.TrySetException(exception);
            }
        }
    }

    /// <summary>Checks an operation against the balances after those decided before it, and moves them on if it is allowed.</summary>
    private async Task<Decision> DecideAsync(Operation operation, Plan state)
    {
        var (reference, kind, related) = (operation.Reference, operation.Kind, operation.RelatedReference);
        Money amount;
        if (kind == MovementKind.Release)
        {
            if (!state.Holds.TryGetValue(related!, out var toRelease))
            {
                return new Decision(null, new UnknownHoldException(WalletId, related!));
            }
            amount = toRelease.Amount;
        }
        else
        {
            amount = operation.Amount!.Value;
        }
        if (state.Currency is { } currency && currency != amount.Currency)
        {
            throw new CurrencyMismatchException(currency, amount.Currency);
        }

        var (balance, held) = (state.Balance, state.Held);
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
                if (state.Holds.ContainsKey(reference))
                {
                    break; // replay of an open hold: the store reports the original
                }
                if (operation.CreditLimit is { } limit)
                {
                    if (state.Available - amount.Minor < -limit.Minor)
                    {
                        refusal = new CreditLimitReachedException(WalletId, amount, new Money(state.Available, amount.Currency), limit);
                    }
                }
                else if (state.Available < amount.Minor)
                {
                    refusal = new InsufficientFundsException(WalletId, amount, new Money(state.Available, amount.Currency));
                }
                held += amount.Minor;
                opened = new HoldRecord(reference, amount);
                break;
            case MovementKind.Capture:
                if (!state.Holds.TryGetValue(related!, out var hold))
                {
                    refusal = new UnknownHoldException(WalletId, related!);
                }
                else if (amount > hold.Amount)
                {
                    refusal = new AmountExceedsOriginalException(WalletId, reference, amount, hold.Amount);
                }
                else
                {
                    held -= hold.Amount.Minor;
                    balance -= amount.Minor;
                    closed = related;
                }
                break;
            case MovementKind.Release:
                held -= amount.Minor;
                closed = related;
                break;
            case MovementKind.Debit:
                if (state.Available < amount.Minor)
                {
                    refusal = new InsufficientFundsException(WalletId, amount, new Money(state.Available, amount.Currency));
                }
                balance -= amount.Minor;
                break;
            case MovementKind.Refund:
                // Only ever first in its batch: the ledger it reads is the committed one.
                refusal = await CheckRefundAsync(reference, related!, amount);
                balance = checked(balance + amount.Minor);
                break;
        }
        if (refusal is not null)
        {
            return new Decision(null, refusal);
        }

        var movement = new WalletMovement(WalletId, reference, kind, amount, related,
            new Money(balance, amount.Currency), new Money(held, amount.Currency), state.Version + 1, time.GetUtcNow(), CreditLimit: operation.CreditLimit);
        state.Apply(movement, opened, closed);
        return new Decision(new LedgerWrite(movement, EntriesOf(movement), opened, closed), null);
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

    /// <summary>Puts operations back at the head of the queue, in their order.</summary>
    private void Requeue(List<Operation> operations)
    {
        if (operations.Count == 0)
        {
            return;
        }
        var rest = _queue.ToArray();
        _queue.Clear();
        foreach (var operation in operations.Concat(rest))
        {
            _queue.Enqueue(operation);
        }
    }

    private static void Answer(Operation operation, Func<WalletMovement> answer)
    {
        try
        {
            operation.Answer.TrySetResult(answer());
        }
        catch (Exception exception)
        {
            operation.Answer.TrySetException(exception);
        }
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

    /// <summary>The wallet as it will be once the operations decided so far in a batch are written.</summary>
    private sealed class Plan(WalletSnapshot committed)
    {
        private Dictionary<string, HoldRecord>? _holds;

        public Currency? Currency { get; private set; } = committed.Currency;
        public long Balance { get; private set; } = committed.Balance;
        public long Held { get; private set; } = committed.Held;
        public long Version { get; private set; } = committed.Version;
        public long Available => Balance - Held;
        public IReadOnlyDictionary<string, HoldRecord> Holds => (IReadOnlyDictionary<string, HoldRecord>?)_holds ?? committed.Holds;

        public WalletSnapshot Snapshot => new(committed.WalletId, Currency, Balance, Held, Version, Holds);

        public void Apply(WalletMovement movement, HoldRecord? opened, string? closed)
        {
            (Currency, Balance, Held, Version) = (movement.Amount.Currency, movement.BalanceAfter.Minor, movement.HeldAfter.Minor, movement.Version);
            if (opened is not null || closed is not null)
            {
                // Copied on first change: the committed snapshot's holds stay as they are until the batch is written.
                _holds ??= new Dictionary<string, HoldRecord>(committed.Holds, StringComparer.Ordinal);
                if (opened is not null)
                {
                    _holds[opened.Reference] = opened;
                }
                if (closed is not null)
                {
                    _holds.Remove(closed);
                }
            }
        }
    }
}
