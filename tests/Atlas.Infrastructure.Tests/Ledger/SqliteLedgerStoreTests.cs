using Atlas.Infrastructure.Sqlite;
using Atlas.Grains.Monetary;
using Atlas.Hosting.Silos;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Tests.Clusters;
using Atlas.Infrastructure.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Atlas.Infrastructure.Tests.Ledger;

/// <summary>The embedded ledger: durable in its file, beside the grain state and reminders of the one-process platform.</summary>
public sealed class SqliteLedgerStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task The_ledger_reads_back_after_its_file_was_closed_and_reopened()
    {
        var book = new TestBook(WalletIds.ForUser("durable"), "clearing:test");
        using (var first = new SqliteDatabase(_folder.File()))
        {
            var store = new SqliteLedgerStore(first);
            foreach (var write in new Func<LedgerWrite>[] { () => book.TopUp("t1", 1_000), () => book.Hold("h1", 300), () => book.Debit("d1", 200) }.Select(f => f()))
            {
                Assert.IsType<LedgerWriteResult.Applied>(await store.ApplyAsync(book.WalletId, book.Version, write));
                book.Commit(write);
            }
        }

        using var reopened = new SqliteDatabase(_folder.File());
        var again = new SqliteLedgerStore(reopened);
        var wallet = await again.LoadAsync(book.WalletId);

        Assert.Equal((800L, 300L, 3L), (wallet!.Balance, wallet.Held, wallet.Version));
        Assert.Equal(["h1"], wallet.Holds.Keys);
        Assert.Equal([1_000L, -200L], (await again.ReadEntriesAsync(book.WalletId)).Select(e => e.AmountMinor));
    }

    [Fact]
    public async Task Changing_or_deleting_an_entry_or_a_movement_in_the_file_is_refused()
    {
        using var database = new SqliteDatabase(_folder.File());
        var store = new SqliteLedgerStore(database);
        var book = new TestBook(WalletIds.ForUser("append-only"), "clearing:test");
        await store.ApplyAsync(book.WalletId, 0, book.TopUp("t1", 1_000));

        foreach (var sql in new[] { "update ledger_entries set amount = 1", "delete from ledger_entries", "update ledger_movements set amount = 1", "delete from ledger_movements" })
        {
            var error = await Assert.ThrowsAsync<SqliteException>(() => database.WriteAsync(async (connection, transaction, token) =>
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                return await command.ExecuteNonQueryAsync(token);
            }));
            Assert.Contains("append-only", error.Message);
        }
        Assert.Equal(1_000, (await store.ReadEntriesAsync(book.WalletId)).Single().AmountMinor);
    }

    [Fact]
    public async Task A_write_that_would_overdraw_is_refused_by_the_file_naming_the_constraint()
    {
        using var database = new SqliteDatabase(_folder.File());
        var store = new SqliteLedgerStore(database);
        var book = new TestBook(WalletIds.ForUser("overdraw"), "clearing:test");
        var topUp = book.TopUp("t1", 100);
        await store.ApplyAsync(book.WalletId, 0, topUp);
        book.Commit(topUp);

        var error = await Assert.ThrowsAsync<LedgerInvariantViolationException>(() => store.ApplyAsync(book.WalletId, 1, book.Debit("d1", 500)));

        Assert.Equal("ledger_movements_spending_within_credit", error.Invariant);
        Assert.Equal(100, (await store.LoadAsync(book.WalletId))!.Balance);
    }

    [Fact]
    public async Task The_embedded_platform_keeps_grain_state_reminders_and_wallets_in_one_file_across_a_restart()
    {
        var path = _folder.File();
        await using (var before = await StartSiloAsync(path))
        {
            var wallet = before.GrainFactory.GetGrain<IWalletGrain>(WalletIds.ForUser("embedded"));
            await wallet.TopUp("t1", new Money(5_000, Currency.Eur));
            await wallet.Hold("h1", new Money(1_000, Currency.Eur));
        }

        await using var after = await StartSiloAsync(path);
        var reloaded = after.GrainFactory.GetGrain<IWalletGrain>(WalletIds.ForUser("embedded"));
        var balance = await reloaded.GetBalance();
        var capture = await reloaded.Capture("c1", "h1", new Money(800, Currency.Eur));

        Assert.Equal((5_000L, 1_000L, 1), (balance.Balance.Minor, balance.Held.Minor, balance.OpenHolds));
        Assert.Equal((4_200L, 0L, 3L), (capture.BalanceAfter.Minor, capture.HeldAfter.Minor, capture.Version));
        var tables = await after.Silos[0].ServiceProvider.GetRequiredService<SqliteDatabases>().Get(path).ReadAsync(async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "select name from sqlite_master where type = 'table' and name in ('orleans_grain_state', 'orleans_reminders', 'wallets') order by name";
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(token);
            while (await reader.ReadAsync(token))
            {
                names.Add(reader.GetString(0));
            }
            return names;
        });
        Assert.Equal(["orleans_grain_state", "orleans_reminders", "wallets"], tables);
    }

    /// <summary>One silo of the embedded platform: grain state, reminders and the ledger in the file (<c>UseAtlasSqliteStorage</c>).</summary>
    private static Task<AtlasTestCluster> StartSiloAsync(string path) =>
        AtlasTestCluster.StartAsync(1, _ => { }, storage: silo => silo.UseAtlasSqliteStorage(path));

    public void Dispose() => _folder.Dispose();
}
