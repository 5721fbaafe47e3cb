using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;

namespace Atlas.Infrastructure.Tests.Ledger;

/// <summary>
/// Builds the writes a wallet grain would send for one wallet (balances, version, entries against a counter account,
/// holds), so that store tests can drive a store directly. <see cref="Commit"/> moves the book on after a write was applied.
/// </summary>
public sealed class TestBook(string walletId, string counterAccount)
{
    public static Money Eur(long minor) => new(minor, Currency.Eur);

    /// <summary>Whole milliseconds: every store keeps at least that (PostgreSQL keeps microseconds).</summary>
    public static DateTimeOffset Now() => new(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    public string WalletId { get; } = walletId;

    public string CounterAccount { get; } = counterAccount;

    public long Balance { get; private set; }

    public long Held { get; private set; }

    public long Version { get; private set; }

    public Dictionary<string, HoldRecord> Holds { get; } = [];

    public LedgerWrite TopUp(string reference, long amount) => Write(reference, MovementKind.TopUp, amount, null, Balance + amount, Held);

    public LedgerWrite Credit(string reference, long amount) => Write(reference, MovementKind.Credit, amount, null, Balance + amount, Held);

    public LedgerWrite Debit(string reference, long amount) => Write(reference, MovementKind.Debit, amount, null, Balance - amount, Held);

    public LedgerWrite Hold(string reference, long amount) =>
        Write(reference, MovementKind.Hold, amount, null, Balance, Held + amount, opened: new HoldRecord(reference, Eur(amount)));

    /// <summary>A hold on credit: it may take the available balance down to minus <paramref name="creditLimit"/> (a cash ride's commission reserve).</summary>
    public LedgerWrite HoldOnCredit(string reference, long amount, long creditLimit) =>
        Write(reference, MovementKind.Hold, amount, null, Balance, Held + amount, opened: new HoldRecord(reference, Eur(amount)), creditLimit: creditLimit);

    public LedgerWrite Capture(string reference, string hold, long amount) =>
        Write(reference, MovementKind.Capture, amount, hold, Balance - amount, Held - Holds[hold].Amount.Minor, closed: hold);

    public LedgerWrite Release(string reference, string hold) =>
        Write(reference, MovementKind.Release, Holds[hold].Amount.Minor, hold, Balance, Held - Holds[hold].Amount.Minor, closed: hold);

    /// <summary>A write as the grain would build it, with its entries; <paramref name="entries"/> replaces them (to break the rules on purpose).</summary>
    public LedgerWrite Write(string reference, MovementKind kind, long amount, string? related, long balanceAfter, long heldAfter,
        HoldRecord? opened = null, string? closed = null, IReadOnlyList<LedgerEntry>? entries = null, long? version = null, long? creditLimit = null)
    {
        var at = Now();
        var movement = new WalletMovement(WalletId, reference, kind, Eur(amount), related, Eur(balanceAfter), Eur(heldAfter), version ?? Version + 1, at,
            CreditLimit: creditLimit is { } limit ? Eur(limit) : null);
        var delta = movement.BalanceDelta;
        entries ??= delta == 0
            ? []
            : [
                new LedgerEntry(WalletId, reference, kind, delta, "EUR", at),
                new LedgerEntry(CounterAccount, $"{WalletId}/{reference}", kind, -delta, "EUR", at),
            ];
        return new LedgerWrite(movement, entries, opened, closed);
    }

    /// <summary>Moves the book on after <paramref name="write"/> was applied.</summary>
    public void Commit(LedgerWrite write)
    {
        Balance = write.Movement.BalanceAfter.Minor;
        Held = write.Movement.HeldAfter.Minor;
        Version = write.Movement.Version;
        if (write.OpenedHold is { } hold)
        {
            Holds[hold.Reference] = hold;
        }
        if (write.ClosedHoldReference is { } closed)
        {
            Holds.Remove(closed);
        }
    }
}
