using Atlas.Testing.Servers;
using Atlas.Infrastructure.Postgres;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Npgsql;
using static Atlas.Infrastructure.Tests.Ledger.TestBook;

namespace Atlas.Infrastructure.Tests.Ledger;

/// <summary>
/// PostgreSQL refuses writes that break the ledger's invariants on its own: through the store with writes a buggy
/// caller built (the store passes them as they are), and through raw SQL that bypasses the store altogether.
/// </summary>
public sealed class PostgresLedgerInvariantTests(PostgresDataSourceFixture database) : IClassFixture<PostgresDataSourceFixture>, IAsyncLifetime
{
    private readonly PostgresLedgerStore _store = new(database.DataSource);
    private readonly TestBook _book = new($"user:invariant-{Guid.NewGuid():N}", $"clearing:test-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        await ApplyAsync(_book.TopUp("t1", 1_000));
        await ApplyAsync(_book.Hold("h1", 200));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    // ---- Writes a buggy caller built, through the store ----

    [Fact]
    public async Task A_movement_whose_entries_do_not_sum_to_zero_is_refused_at_commit()
    {
        var at = Now();
        var write = _book.Write("c1", MovementKind.Credit, 50, null, 1_050, 200, entries:
        [
            new LedgerEntry(_book.WalletId, "c1", MovementKind.Credit, 50, "EUR", at),
            new LedgerEntry(_book.CounterAccount, $"{_book.WalletId}/c1", MovementKind.Credit, -45, "EUR", at),
        ]);

        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() => _store.ApplyAsync(_book.WalletId, _book.Version, write));

        Assert.Equal(("ledger_entries_balanced", _book.WalletId), (error.Invariant, error.WalletId));
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_movement_that_would_spend_held_money_is_refused()
    {
        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() =>
            _store.ApplyAsync(_book.WalletId, _book.Version, _book.Debit("d1", 900)));

        Assert.Equal("ledger_movements_spending_within_credit", error.Invariant);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_movement_whose_balance_does_not_follow_from_the_previous_one_is_refused()
    {
        var write = _book.Write("c1", MovementKind.Credit, 50, null, balanceAfter: 5_000, heldAfter: 200,
            entries: _book.Credit("c1", 50).Entries);

        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() => _store.ApplyAsync(_book.WalletId, _book.Version, write));

        Assert.Equal("ledger_movements_chained", error.Invariant);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_movement_whose_entries_on_the_wallet_contradict_its_kind_is_refused()
    {
        var at = Now();
        var write = _book.Write("c1", MovementKind.Credit, 50, null, 1_050, 200, entries:
        [
            new LedgerEntry(_book.WalletId, "c1", MovementKind.Credit, -50, "EUR", at),
            new LedgerEntry(_book.CounterAccount, $"{_book.WalletId}/c1", MovementKind.Credit, 50, "EUR", at),
        ]);

        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() => _store.ApplyAsync(_book.WalletId, _book.Version, write));

        Assert.Equal("ledger_entries_match_movement", error.Invariant);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_hold_recorded_for_more_than_the_wallet_holds_is_refused()
    {
        var write = _book.Write("h2", MovementKind.Hold, 100, null, 1_000, 250, opened: new HoldRecord("h2", Eur(100)));

        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() => _store.ApplyAsync(_book.WalletId, _book.Version, write));

        Assert.Equal("wallets_held_matches_holds", error.Invariant);
        await AssertUnchangedAsync();
    }

    // ---- Raw SQL that bypasses the store ----

    [Fact]
    public async Task Raw_sql_that_changes_a_balance_without_a_movement_is_refused()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"update wallets set balance = balance + 100 where id = '{_book.WalletId}'"));

        Assert.Equal((PostgresErrorCodes.CheckViolation, "wallets_match_last_movement"), (error.SqlState, error.ConstraintName));
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Raw_sql_that_records_a_movement_without_its_entries_is_refused_at_commit()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"""
            begin;
            update wallets set balance = 1100, version = 3 where id = '{_book.WalletId}';
            insert into ledger_movements (wallet_id, reference, kind, amount, currency, balance_after, held_after, version, at)
                values ('{_book.WalletId}', 'free-money', 'Credit', 100, 'EUR', 1100, 200, 3, now());
            commit;
            """));

        Assert.Equal((PostgresErrorCodes.CheckViolation, "ledger_entries_match_movement"), (error.SqlState, error.ConstraintName));
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Raw_sql_that_overdraws_a_wallet_is_refused()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"update wallets set balance = -5 where id = '{_book.WalletId}'"));

        // A wallet's balance may be below zero (a cash ride's commission), but only as its movements say.
        Assert.Equal((PostgresErrorCodes.CheckViolation, "wallets_match_last_movement"), (error.SqlState, error.ConstraintName));
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Raw_sql_that_changes_or_deletes_an_entry_or_a_movement_is_refused()
    {
        var changeEntry = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"update ledger_entries set amount = 1 where account = '{_book.WalletId}'"));
        var deleteMovement = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"delete from ledger_movements where wallet_id = '{_book.WalletId}'"));

        Assert.Equal("ledger_entries_append_only", changeEntry.ConstraintName);
        Assert.Equal("ledger_movements_append_only", deleteMovement.ConstraintName);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Raw_sql_that_drops_a_hold_without_releasing_it_is_refused()
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecuteAsync($"delete from wallet_holds where wallet_id = '{_book.WalletId}'"));

        Assert.Equal("wallets_held_matches_holds", error.ConstraintName);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Raw_sql_that_reuses_a_reference_or_a_version_is_refused()
    {
        var reference = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"insert into ledger_movements (wallet_id, reference, kind, amount, currency, balance_after, held_after, version, at) values ('{_book.WalletId}', 't1', 'Hold', 1, 'EUR', 1000, 201, 9, now())"));
        var version = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"insert into ledger_movements (wallet_id, reference, kind, amount, currency, balance_after, held_after, version, at) values ('{_book.WalletId}', 'other', 'Hold', 1, 'EUR', 1000, 201, 2, now())"));

        Assert.Equal("ledger_movements_reference_unique", reference.ConstraintName);
        Assert.Equal("ledger_movements_version_unique", version.ConstraintName);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task Applying_the_ledger_migrations_again_changes_nothing()
    {
        Assert.Empty(await PostgresMigrations.ApplyAsync(database.DataSource, PostgresLedgerSchema.Migrations));
    }

    private async Task ApplyAsync(LedgerWrite write)
    {
        Assert.IsType<LedgerWriteResult.Applied>(await _store.ApplyAsync(_book.WalletId, _book.Version, write));
        _book.Commit(write);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The wallet is as the two movements of <see cref="InitializeAsync"/> left it.</summary>
    private async Task AssertUnchangedAsync()
    {
        var wallet = await _store.LoadAsync(_book.WalletId);
        Assert.Equal((1_000L, 200L, 2L), (wallet!.Balance, wallet.Held, wallet.Version));
        Assert.Equal(["h1"], wallet.Holds.Keys);
        Assert.Equal(2, (await _store.ReadMovementsAsync(_book.WalletId, 0, 10)).Count);
        Assert.Equal([1_000L], (await _store.ReadEntriesAsync(_book.WalletId)).Select(e => e.AmountMinor));
    }
}
