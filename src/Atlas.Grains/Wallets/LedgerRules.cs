namespace Atlas.Grains.Wallets;

/// <summary>
/// The balance rules of every movement, which the wallet grain follows and every ledger store enforces (PostgreSQL in
/// its own checks and triggers, under the same constraint names):
/// <list type="bullet">
/// <item>the held amount never goes below zero (<c>ledger_movements_held_non_negative</c>);</item>
/// <item>only a hold carries a credit limit, and it is not negative (<c>ledger_movements_credit_limit</c>);</item>
/// <item>a hold or a debit leaves the available balance (balance − held) at or above minus its credit limit, zero without
///   one (<c>ledger_movements_spending_within_credit</c>);</item>
/// <item>any other movement leaves the available balance at or above zero, or, where it was already below zero, no
///   lower than it was (<c>ledger_movements_no_overdraft</c>): money coming in settles a debt, nothing else deepens it.</item>
/// </list>
/// So a wallet's balance goes below zero only through a capture of a credit hold (a cash ride's commission), and never
/// beyond the credit limit the hold was placed with.
/// </summary>
public static class LedgerRules
{
    /// <summary>The rule <paramref name="movement"/> breaks after a wallet at <paramref name="balanceBefore"/>/<paramref name="heldBefore"/>, or null.</summary>
    public static string? Violation(WalletMovement movement, long balanceBefore, long heldBefore)
    {
        ArgumentNullException.ThrowIfNull(movement);
        var held = movement.HeldAfter.Minor;
        var available = movement.BalanceAfter.Minor - held;
        if (held < 0)
        {
            return "ledger_movements_held_non_negative";
        }
        if (movement.CreditLimit is { } limit && (movement.Kind != MovementKind.Hold || limit.IsNegative))
        {
            return "ledger_movements_credit_limit";
        }
        if (movement.Kind is MovementKind.Hold or MovementKind.Debit)
        {
            return available >= -(movement.CreditLimit?.Minor ?? 0) ? null : "ledger_movements_spending_within_credit";
        }
        return available >= Math.Min(0, balanceBefore - heldBefore) ? null : "ledger_movements_no_overdraft";
    }
}
