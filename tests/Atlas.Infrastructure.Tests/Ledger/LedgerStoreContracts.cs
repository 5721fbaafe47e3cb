using Atlas.Testing.Servers;
using Atlas.Infrastructure.Sqlite;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using static Atlas.Infrastructure.Tests.Ledger.TestBook;

namespace Atlas.Infrastructure.Tests.Ledger;

/// <summary>The ledger store contract, run against the in-memory reference store.</summary>
public sealed class InMemoryLedgerStoreContractTests : LedgerStoreContractTests
{
    protected override ILedgerStore CreateStore() => new InMemoryLedgerStore();
}

/// <summary>The ledger store contract, run against SQLite (a fresh database file per test).</summary>
public sealed class SqliteLedgerStoreContractTests : LedgerStoreContractTests, IDisposable
{
    private readonly TempFolder _folder = new();
    private SqliteDatabase? _database;

    protected override ILedgerStore CreateStore() => new SqliteLedgerStore(_database = new SqliteDatabase(_folder.File()));

    public void Dispose()
    {
        _database?.Dispose();
        _folder.Dispose();
    }
}

/// <summary>The ledger store contract, run against PostgreSQL (wallets and counter accounts of its own per test).</summary>
public sealed class PostgresLedgerStoreContractTests(PostgresDataSourceFixture database)
    : LedgerStoreContractTests, IClassFixture<PostgresDataSourceFixture>
{
    protected override ILedgerStore CreateStore() => new PostgresLedgerStore(database.DataSource);
}

/// <summary>
/// The balance rules of cash rides (<see cref="LedgerRules"/>), refused by each durable store itself under the rule's
/// name: a wallet goes below zero only by a hold on credit within its recorded limit, and nothing else deepens a debt.
/// </summary>
public abstract class CreditRuleRefusalTests
{
    private readonly string _counter = $"clearing:test-{Guid.NewGuid():N}";

    protected abstract ILedgerStore Store { get; }

    /// <summary>A driver who owes 80 after a cash ride's commission (limit 100): balance -80, nothing held.</summary>
    private async Task<TestBook> IndebtedDriverAsync()
    {
        var book = new TestBook($"user:driver-{Guid.NewGuid():N}", _counter);
        foreach (var write in new Func<LedgerWrite>[] { () => book.HoldOnCredit("reserve", 90, 100), () => book.Capture("commission", "reserve", 80) })
        {
            var next = write();
            Assert.IsType<LedgerWriteResult.Applied>(await Store.ApplyAsync(book.WalletId, book.Version, next));
            book.Commit(next);
        }
        return book;
    }

    private async Task AssertRefusedAsync(TestBook book, LedgerWrite write, string rule)
    {
        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() => Store.ApplyAsync(book.WalletId, book.Version, write));
        Assert.Equal(rule, error.Invariant);
        var stored = await Store.LoadAsync(book.WalletId);
        Assert.Equal((book.Balance, book.Held, book.Version), (stored!.Balance, stored.Held, stored.Version));
    }

    [Fact]
    public async Task A_hold_on_credit_beyond_its_limit_is_refused()
    {
        var book = await IndebtedDriverAsync();

        await AssertRefusedAsync(book, book.HoldOnCredit("reserve-2", 30, 100), "ledger_movements_spending_within_credit");
    }

    [Fact]
    public async Task A_hold_without_credit_on_an_indebted_wallet_is_refused()
    {
        var book = await IndebtedDriverAsync();

        await AssertRefusedAsync(book, book.Hold("h1", 1), "ledger_movements_spending_within_credit");
    }

    [Fact]
    public async Task A_debit_from_an_indebted_wallet_is_refused()
    {
        var book = await IndebtedDriverAsync();

        await AssertRefusedAsync(book, book.Debit("d1", 10), "ledger_movements_spending_within_credit");
    }

    [Fact]
    public async Task A_capture_that_deepens_a_debt_beyond_its_hold_is_refused()
    {
        var book = await IndebtedDriverAsync();
        var reserve = book.HoldOnCredit("reserve-2", 10, 100);
        await Store.ApplyAsync(book.WalletId, book.Version, reserve);
        book.Commit(reserve);

        // 50 taken against a hold of 10: the debt would grow by 40 that no credit hold allowed.
        await AssertRefusedAsync(book, book.Write("commission-2", MovementKind.Capture, 50, "reserve-2", book.Balance - 50, book.Held - 10, closed: "reserve-2"),
            "ledger_movements_no_overdraft");
    }

    [Fact]
    public async Task A_credit_limit_on_anything_but_a_hold_is_refused()
    {
        var book = await IndebtedDriverAsync();

        await AssertRefusedAsync(book, book.Write("t1", MovementKind.TopUp, 10, null, book.Balance + 10, book.Held, creditLimit: 100),
            "ledger_movements_credit_limit");
    }
}

public sealed class SqliteCreditRuleRefusalTests : CreditRuleRefusalTests, IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly SqliteDatabase _database;

    public SqliteCreditRuleRefusalTests()
    {
        _database = new SqliteDatabase(_folder.File());
        Store = new SqliteLedgerStore(_database);
    }

    protected override ILedgerStore Store { get; }

    public void Dispose()
    {
        _database.Dispose();
        _folder.Dispose();
    }
}

public sealed class PostgresCreditRuleRefusalTests(PostgresDataSourceFixture database) : CreditRuleRefusalTests, IClassFixture<PostgresDataSourceFixture>
{
    protected override ILedgerStore Store { get; } = new PostgresLedgerStore(database.DataSource);
}

/// <summary>A SQLite ledger written by the first schema (no credit holds) upgrades in place: every row kept, the new rules in force.</summary>
public sealed class SqliteLedgerUpgradeTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_ledger_of_the_first_schema_keeps_its_wallets_movements_entries_and_holds_and_takes_credit_holds()
    {
        var path = _folder.File();
        var book = new TestBook($"user:upgrade-{Guid.NewGuid():N}", "clearing:test");
        using (var old = new SqliteDatabase(path))
        {
            await old.EnsureSchemaAsync([SqliteLedgerSchema.Migrations[0]]);
            foreach (var write in new Func<LedgerWrite>[] { () => book.TopUp("t1", 100), () => book.Hold("h1", 30), () => book.Debit("d1", 20) })
            {
                // What the first schema's store wrote: the same statements without the credit limit column.
                var next = write();
                await InsertWithFirstSchemaAsync(old, book, next);
                book.Commit(next);
            }
        }

        using var database = new SqliteDatabase(path);
        var store = new SqliteLedgerStore(database);
        var wallet = await store.LoadAsync(book.WalletId);
        Assert.Equal((80L, 30L, 3L), (wallet!.Balance, wallet.Held, wallet.Version));
        Assert.Equal(["h1"], wallet.Holds.Keys);
        Assert.Equal(["t1", "h1", "d1"], (await store.ReadMovementsAsync(book.WalletId, 0, 10)).Select(m => m.Reference));
        Assert.Equal([100L, -20L], (await store.ReadEntriesAsync(book.WalletId)).Select(e => e.AmountMinor));

        var reserve = book.HoldOnCredit("reserve", 90, 50);
        Assert.IsType<LedgerWriteResult.Applied>(await store.ApplyAsync(book.WalletId, book.Version, reserve));
        book.Commit(reserve);
        var capture = book.Capture("commission", "reserve", 90);
        Assert.IsType<LedgerWriteResult.Applied>(await store.ApplyAsync(book.WalletId, book.Version, capture));
        Assert.Equal(-10, (await store.LoadAsync(book.WalletId))!.Balance);
    }

    private static Task InsertWithFirstSchemaAsync(SqliteDatabase database, TestBook book, LedgerWrite write) =>
        database.WriteAsync(async (connection, transaction, token) =>
        {
            var m = write.Movement;
            async Task RunAsync(string sql, params (string, object?)[] parameters)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value ?? DBNull.Value);
                }
                await command.ExecuteNonQueryAsync(token);
            }
            await RunAsync("insert into wallets (id, currency, balance, held, version) values ($w, 'EUR', 0, 0, 0) on conflict (id) do nothing", ("$w", book.WalletId));
            await RunAsync("update wallets set balance = $b, held = $h, version = $v where id = $w",
                ("$w", book.WalletId), ("$b", m.BalanceAfter.Minor), ("$h", m.HeldAfter.Minor), ("$v", m.Version));
            await RunAsync("""
                insert into ledger_movements (wallet_id, reference, kind, amount, currency, related_reference, balance_after, held_after, version, at)
                values ($w, $r, $k, $a, 'EUR', $rel, $b, $h, $v, $at)
                """, ("$w", book.WalletId), ("$r", m.Reference), ("$k", m.Kind.ToString()), ("$a", m.Amount.Minor), ("$rel", m.RelatedReference),
                ("$b", m.BalanceAfter.Minor), ("$h", m.HeldAfter.Minor), ("$v", m.Version), ("$at", m.At.UtcTicks));
            foreach (var e in write.Entries)
            {
                await RunAsync("""
                    insert into ledger_entries (account, reference, kind, amount, currency, at, wallet_id, movement_reference)
                    values ($acc, $r, $k, $a, 'EUR', $at, $w, $m)
                    """, ("$acc", e.Account), ("$r", e.Reference), ("$k", e.Kind.ToString()), ("$a", e.AmountMinor), ("$at", e.At.UtcTicks), ("$w", book.WalletId), ("$m", m.Reference));
            }
            if (write.OpenedHold is { } hold)
            {
                await RunAsync("insert into wallet_holds (wallet_id, reference, amount, currency) values ($w, $r, $a, 'EUR')", ("$w", book.WalletId), ("$r", hold.Reference), ("$a", hold.Amount.Minor));
            }
            return true;
        });
}
