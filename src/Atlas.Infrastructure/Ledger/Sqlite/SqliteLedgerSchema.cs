using Atlas.Infrastructure.Sqlite;

namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// The ledger's tables in a SQLite file (the embedded default; the file may also hold grain state and reminders).
/// The same tables as in PostgreSQL, with times as UTC ticks. SQLite has no deferred constraints, so the store checks
/// the per-movement rules (entries sum to zero, balances chain) inside the write's transaction; the table checks,
/// uniqueness and append-only triggers are the database's own.
/// </summary>
public static class SqliteLedgerSchema
{
    /// <summary>The ledger's migrations, applied by <see cref="SqliteDatabase.EnsureSchemaAsync"/>.</summary>
    public static IReadOnlyList<SqliteMigration> Migrations { get; } =
    [
        new("ledger/0001-tables",
            """
            create table wallets (
                id text primary key,
                currency text not null,
                balance integer not null,
                held integer not null,
                -- 0 only inside the transaction that creates the wallet and writes its first movement.
                version integer not null check (version >= 0),
                constraint wallets_balance_non_negative check (balance >= 0),
                constraint wallets_held_non_negative check (held >= 0),
                constraint wallets_available_non_negative check (balance - held >= 0)
            );

            create table ledger_movements (
                wallet_id text not null references wallets (id),
                reference text not null,
                kind text not null check (kind in ('TopUp', 'Hold', 'Capture', 'Release', 'Debit', 'Credit', 'Refund')),
                amount integer not null check (amount > 0),
                currency text not null,
                related_reference text null,
                balance_after integer not null,
                held_after integer not null,
                version integer not null check (version >= 1),
                at integer not null, -- UTC ticks
                constraint ledger_movements_reference_unique primary key (wallet_id, reference),
                constraint ledger_movements_version_unique unique (wallet_id, version),
                constraint ledger_movements_balance_non_negative check (balance_after >= 0 and held_after >= 0),
                constraint ledger_movements_available_non_negative check (balance_after - held_after >= 0)
            );

            create table ledger_entries (
                id integer primary key autoincrement,
                account text not null,
                reference text not null,
                kind text not null,
                amount integer not null check (amount <> 0),
                currency text not null,
                at integer not null, -- UTC ticks
                wallet_id text not null,
                movement_reference text not null,
                foreign key (wallet_id, movement_reference) references ledger_movements (wallet_id, reference)
            );
            create index ledger_entries_account on ledger_entries (account, id);

            create table wallet_holds (
                wallet_id text not null references wallets (id),
                reference text not null,
                amount integer not null check (amount > 0),
                currency text not null,
                primary key (wallet_id, reference)
            );

            create trigger ledger_movements_no_update before update on ledger_movements
                begin select raise(abort, 'ledger: ledger_movements is append-only; UPDATE refused'); end;
            create trigger ledger_movements_no_delete before delete on ledger_movements
                begin select raise(abort, 'ledger: ledger_movements is append-only; DELETE refused'); end;
            create trigger ledger_entries_no_update before update on ledger_entries
                begin select raise(abort, 'ledger: ledger_entries is append-only; UPDATE refused'); end;
            create trigger ledger_entries_no_delete before delete on ledger_entries
                begin select raise(abort, 'ledger: ledger_entries is append-only; DELETE refused'); end;
            """),
        // Cash rides: a driver's wallet may go below zero for the commissions it owes, down to the credit limit recorded
        // on its reservation (LedgerRules; the store checks the rules that need the previous movement). SQLite cannot
        // drop a CHECK, so the four tables are rebuilt: renamed (references follow the rename), created anew, copied,
        // and the old ones dropped children first (a DROP's implicit delete fires no trigger and orphans nothing).
        new("ledger/0002-credit-holds",
            """
            alter table ledger_entries rename to ledger_entries_v1;
            alter table wallet_holds rename to wallet_holds_v1;
            alter table ledger_movements rename to ledger_movements_v1;
            alter table wallets rename to wallets_v1;
            drop index ledger_entries_account;

            create table wallets (
                id text primary key,
                currency text not null,
                balance integer not null,
                held integer not null,
                -- 0 only inside the transaction that creates the wallet and writes its first movement.
                version integer not null check (version >= 0),
                constraint wallets_held_non_negative check (held >= 0)
            );

            create table ledger_movements (
                wallet_id text not null references wallets (id),
                reference text not null,
                kind text not null check (kind in ('TopUp', 'Hold', 'Capture', 'Release', 'Debit', 'Credit', 'Refund')),
                amount integer not null check (amount > 0),
                currency text not null,
                related_reference text null,
                balance_after integer not null,
                held_after integer not null,
                version integer not null check (version >= 1),
                at integer not null, -- UTC ticks
                credit_limit integer null,
                constraint ledger_movements_reference_unique primary key (wallet_id, reference),
                constraint ledger_movements_version_unique unique (wallet_id, version),
                constraint ledger_movements_held_non_negative check (held_after >= 0),
                constraint ledger_movements_credit_limit check (credit_limit is null or (kind = 'Hold' and credit_limit >= 0)),
                constraint ledger_movements_spending_within_credit
                    check (kind not in ('Hold', 'Debit') or balance_after - held_after >= -coalesce(credit_limit, 0))
            );

            create table ledger_entries (
                id integer primary key autoincrement,
                account text not null,
                reference text not null,
                kind text not null,
                amount integer not null check (amount <> 0),
                currency text not null,
                at integer not null, -- UTC ticks
                wallet_id text not null,
                movement_reference text not null,
                foreign key (wallet_id, movement_reference) references ledger_movements (wallet_id, reference)
            );
            create index ledger_entries_account on ledger_entries (account, id);

            create table wallet_holds (
                wallet_id text not null references wallets (id),
                reference text not null,
                amount integer not null check (amount > 0),
                currency text not null,
                primary key (wallet_id, reference)
            );

            insert into wallets select id, currency, balance, held, version from wallets_v1;
            insert into ledger_movements (wallet_id, reference, kind, amount, currency, related_reference, balance_after, held_after, version, at)
                select wallet_id, reference, kind, amount, currency, related_reference, balance_after, held_after, version, at from ledger_movements_v1;
            insert into ledger_entries (id, account, reference, kind, amount, currency, at, wallet_id, movement_reference)
                select id, account, reference, kind, amount, currency, at, wallet_id, movement_reference from ledger_entries_v1;
            insert into wallet_holds select wallet_id, reference, amount, currency from wallet_holds_v1;

            drop table ledger_entries_v1;
            drop table wallet_holds_v1;
            drop table ledger_movements_v1;
            drop table wallets_v1;

            create trigger ledger_movements_no_update before update on ledger_movements
                begin select raise(abort, 'ledger: ledger_movements is append-only; UPDATE refused'); end;
            create trigger ledger_movements_no_delete before delete on ledger_movements
                begin select raise(abort, 'ledger: ledger_movements is append-only; DELETE refused'); end;
            create trigger ledger_entries_no_update before update on ledger_entries
                begin select raise(abort, 'ledger: ledger_entries is append-only; UPDATE refused'); end;
            create trigger ledger_entries_no_delete before delete on ledger_entries
                begin select raise(abort, 'ledger: ledger_entries is append-only; DELETE refused'); end;
            """),
    ];
}
