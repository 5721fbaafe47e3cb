using Atlas.Infrastructure.Postgres;

namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// The ledger's tables in PostgreSQL, and the invariants the database enforces on its own, so that a write that
/// bypasses the wallet grain (a bug, a script, a stale process) still cannot corrupt the books:
/// <list type="bullet">
/// <item>the balance rules of <see cref="Atlas.Grains.Wallets.LedgerRules"/> on every movement: held never below zero, the
///   available balance below zero only by a hold on credit within its recorded limit (a cash ride's commission), and
///   never lowered further by anything else;</item>
/// <item>a movement's reference and its version are unique per wallet;</item>
/// <item>entries and movements are append-only (updates, deletes and truncation are refused);</item>
/// <item>at commit (a constraint trigger, <c>DEFERRABLE INITIALLY DEFERRED</c>, because a movement and its entries
///   are inserted by separate statements or CTEs): each movement's entries sum to zero, its entries on the wallet
///   equal the balance change its kind and amount imply, its balance follows from the previous version's, and
///   versions have no gaps; each wallet row equals its latest movement, and its <c>held</c> is the sum of its open
///   holds.</item>
/// </list>
/// </summary>
public static class PostgresLedgerSchema
{
    /// <summary>The ledger's migrations, applied by <see cref="PostgresMigrations.ApplyAsync(Npgsql.NpgsqlDataSource, IReadOnlyList{PostgresMigration}, Microsoft.Extensions.Logging.ILogger?, CancellationToken)"/>.</summary>
    public static IReadOnlyList<PostgresMigration> Migrations { get; } =
    [
        new("ledger/0001-tables",
            """
            create table wallets (
                id text primary key,
                currency text not null check (currency ~ '^[A-Z]{3}$'),
                balance bigint not null,
                held bigint not null,
                version bigint not null check (version >= 1),
                constraint wallets_balance_non_negative check (balance >= 0),
                constraint wallets_held_non_negative check (held >= 0),
                constraint wallets_available_non_negative check (balance - held >= 0)
            );

            create table ledger_movements (
                wallet_id text not null references wallets (id),
                reference text not null,
                kind text not null check (kind in ('TopUp', 'Hold', 'Capture', 'Release', 'Debit', 'Credit', 'Refund')),
                amount bigint not null check (amount > 0),
                currency text not null check (currency ~ '^[A-Z]{3}$'),
                related_reference text null,
                balance_after bigint not null,
                held_after bigint not null,
                version bigint not null check (version >= 1),
                at timestamptz not null,
                constraint ledger_movements_reference_unique primary key (wallet_id, reference),
                constraint ledger_movements_version_unique unique (wallet_id, version),
                constraint ledger_movements_balance_non_negative check (balance_after >= 0 and held_after >= 0),
                constraint ledger_movements_available_non_negative check (balance_after - held_after >= 0)
            );

            -- Append-only. An entry belongs to the movement (wallet_id, movement_reference) that wrote it; "reference"
            -- is what the account's statement shows (the wallet's own reference, or "wallet/reference" on a counter account).
            create table ledger_entries (
                id bigint generated always as identity primary key,
                account text not null,
                reference text not null,
                kind text not null,
                amount bigint not null check (amount <> 0),
                currency text not null,
                at timestamptz not null,
                wallet_id text not null,
                movement_reference text not null,
                foreign key (wallet_id, movement_reference) references ledger_movements (wallet_id, reference)
            );
            create index ledger_entries_account on ledger_entries (account, id);
            create index ledger_entries_movement on ledger_entries (wallet_id, movement_reference);

            create table wallet_holds (
                wallet_id text not null references wallets (id),
                reference text not null,
                amount bigint not null check (amount > 0),
                currency text not null,
                primary key (wallet_id, reference)
            );
            """),
        new("ledger/0002-invariants",
            """
            create function ledger_refuse_change() returns trigger language plpgsql as $$
            begin
                raise exception 'ledger: % is append-only; % refused', tg_table_name, tg_op
                    using errcode = 'integrity_constraint_violation', constraint = tg_table_name || '_append_only';
            end
            $$;
            create trigger ledger_movements_append_only before update or delete or truncate on ledger_movements
                for each statement execute function ledger_refuse_change();
            create trigger ledger_entries_append_only before update or delete or truncate on ledger_entries
                for each statement execute function ledger_refuse_change();

            -- Checked at commit: by then the movement's entries, the wallet row and the holds are all written.
            create function ledger_check_movement() returns trigger language plpgsql as $$
            declare
                delta bigint := case new.kind
                    when 'TopUp' then new.amount when 'Credit' then new.amount when 'Refund' then new.amount
                    when 'Capture' then -new.amount when 'Debit' then -new.amount
                    else 0 end;
                entries_total bigint;
                wallet_total bigint;
                previous_balance bigint := 0;
                stored_version bigint;
            begin
                select coalesce(sum(amount), 0), coalesce(sum(amount) filter (where account = new.wallet_id), 0)
                    into entries_total, wallet_total
                    from ledger_entries where wallet_id = new.wallet_id and movement_reference = new.reference;
                if entries_total <> 0 then
                    raise exception 'ledger: the entries of movement % of wallet % sum to %, not 0', new.reference, new.wallet_id, entries_total
                        using errcode = 'check_violation', constraint = 'ledger_entries_balanced';
                end if;
                if wallet_total <> delta then
                    raise exception 'ledger: movement % (% of %) changes wallet % by %, but its entries on the wallet total %',
                        new.reference, new.kind, new.amount, new.wallet_id, delta, wallet_total
                        using errcode = 'check_violation', constraint = 'ledger_entries_match_movement';
                end if;
                if new.version > 1 then
                    select balance_after into previous_balance from ledger_movements where wallet_id = new.wallet_id and version = new.version - 1;
                    if not found then
                        raise exception 'ledger: movement % of wallet % has version % but there is no version %', new.reference, new.wallet_id, new.version, new.version - 1
                            using errcode = 'check_violation', constraint = 'ledger_movements_contiguous';
                    end if;
                end if;
                if previous_balance + delta <> new.balance_after then
                    raise exception 'ledger: movement % of wallet % leaves a balance of %, but % after version % and a change of % make %',
                        new.reference, new.wallet_id, new.balance_after, previous_balance, new.version - 1, delta, previous_balance + delta
                        using errcode = 'check_violation', constraint = 'ledger_movements_chained';
                end if;
                select version into stored_version from wallets where id = new.wallet_id;
                if stored_version < new.version then
                    raise exception 'ledger: wallet % is at version % behind its movement % at version %', new.wallet_id, stored_version, new.reference, new.version
                        using errcode = 'check_violation', constraint = 'wallets_match_last_movement';
                end if;
                return null;
            end
            $$;
            create constraint trigger ledger_movements_consistent after insert on ledger_movements
                deferrable initially deferred for each row execute function ledger_check_movement();

            create function ledger_check_wallet() returns trigger language plpgsql as $$
            declare
                last_movement record;
                open_holds bigint;
            begin
                select balance_after, held_after into last_movement from ledger_movements where wallet_id = new.id and version = new.version;
                if not found or last_movement.balance_after <> new.balance or last_movement.held_after <> new.held then
                    raise exception 'ledger: wallet % (balance %, held %, version %) does not match its movement at that version',
                        new.id, new.balance, new.held, new.version
                        using errcode = 'check_violation', constraint = 'wallets_match_last_movement';
                end if;
                select coalesce(sum(amount), 0) into open_holds from wallet_holds where wallet_id = new.id;
                if open_holds <> new.held then
                    raise exception 'ledger: wallet % holds % but its open holds total %', new.id, new.held, open_holds
                        using errcode = 'check_violation', constraint = 'wallets_held_matches_holds';
                end if;
                return null;
            end
            $$;
            create constraint trigger wallets_consistent after insert or update on wallets
                deferrable initially deferred for each row execute function ledger_check_wallet();

            -- A hold inserted or deleted without its wallet row changing is caught too.
            create function ledger_check_holds() returns trigger language plpgsql as $$
            declare
                wallet text := coalesce(new.wallet_id, old.wallet_id);
                wallet_held bigint;
                open_holds bigint;
            begin
                select held into wallet_held from wallets where id = wallet;
                select coalesce(sum(amount), 0) into open_holds from wallet_holds where wallet_id = wallet;
                if open_holds <> wallet_held then
                    raise exception 'ledger: wallet % holds % but its open holds total %', wallet, wallet_held, open_holds
                        using errcode = 'check_violation', constraint = 'wallets_held_matches_holds';
                end if;
                return null;
            end
            $$;
            create constraint trigger wallet_holds_consistent after insert or delete on wallet_holds
                deferrable initially deferred for each row execute function ledger_check_holds();
            """),
        // Cash rides: a driver's wallet may go below zero for the commissions it owes, down to the credit limit its
        // reservation (a hold on credit) was placed with, and by nothing else (LedgerRules, under the same names).
        new("ledger/0003-credit-holds",
            """
            alter table ledger_movements add column credit_limit bigint null;
            alter table ledger_movements add constraint ledger_movements_credit_limit
                check (credit_limit is null or (kind = 'Hold' and credit_limit >= 0));
            alter table ledger_movements drop constraint ledger_movements_balance_non_negative;
            alter table ledger_movements drop constraint ledger_movements_available_non_negative;
            alter table ledger_movements add constraint ledger_movements_held_non_negative check (held_after >= 0);
            alter table ledger_movements add constraint ledger_movements_spending_within_credit
                check (kind not in ('Hold', 'Debit') or balance_after - held_after >= -coalesce(credit_limit, 0));
            -- The wallet row equals its latest movement (wallets_match_last_movement), which the checks above bound.
            alter table wallets drop constraint wallets_balance_non_negative;
            alter table wallets drop constraint wallets_available_non_negative;

            create or replace function ledger_check_movement() returns trigger language plpgsql as $$
            declare
                delta bigint := case new.kind
                    when 'TopUp' then new.amount when 'Credit' then new.amount when 'Refund' then new.amount
                    when 'Capture' then -new.amount when 'Debit' then -new.amount
                    else 0 end;
                entries_total bigint;
                wallet_total bigint;
                previous_balance bigint := 0;
                previous_held bigint := 0;
                stored_version bigint;
            begin
                select coalesce(sum(amount), 0), coalesce(sum(amount) filter (where account = new.wallet_id), 0)
                    into entries_total, wallet_total
                    from ledger_entries where wallet_id = new.wallet_id and movement_reference = new.reference;
                if entries_total <> 0 then
                    raise exception 'ledger: the entries of movement % of wallet % sum to %, not 0', new.reference, new.wallet_id, entries_total
                        using errcode = 'check_violation', constraint = 'ledger_entries_balanced';
                end if;
                if wallet_total <> delta then
                    raise exception 'ledger: movement % (% of %) changes wallet % by %, but its entries on the wallet total %',
                        new.reference, new.kind, new.amount, new.wallet_id, delta, wallet_total
                        using errcode = 'check_violation', constraint = 'ledger_entries_match_movement';
                end if;
                if new.version > 1 then
                    select balance_after, held_after into previous_balance, previous_held
                        from ledger_movements where wallet_id = new.wallet_id and version = new.version - 1;
                    if not found then
                        raise exception 'ledger: movement % of wallet % has version % but there is no version %', new.reference, new.wallet_id, new.version, new.version - 1
                            using errcode = 'check_violation', constraint = 'ledger_movements_contiguous';
                    end if;
                end if;
                if previous_balance + delta <> new.balance_after then
                    raise exception 'ledger: movement % of wallet % leaves a balance of %, but % after version % and a change of % make %',
                        new.reference, new.wallet_id, new.balance_after, previous_balance, new.version - 1, delta, previous_balance + delta
                        using errcode = 'check_violation', constraint = 'ledger_movements_chained';
                end if;
                if new.kind not in ('Hold', 'Debit')
                    and new.balance_after - new.held_after < least(0, previous_balance - previous_held) then
                    raise exception 'ledger: movement % (% of %) leaves wallet % with % available, below zero and below the % it had',
                        new.reference, new.kind, new.amount, new.wallet_id, new.balance_after - new.held_after, previous_balance - previous_held
                        using errcode = 'check_violation', constraint = 'ledger_movements_no_overdraft';
                end if;
                select version into stored_version from wallets where id = new.wallet_id;
                if stored_version < new.version then
                    raise exception 'ledger: wallet % is at version % behind its movement % at version %', new.wallet_id, stored_version, new.reference, new.version
                        using errcode = 'check_violation', constraint = 'wallets_match_last_movement';
                end if;
                return null;
            end
            $$;
            """),
    ];
}
