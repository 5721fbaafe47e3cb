using Atlas.Grains.Wallets;
using static Atlas.Infrastructure.Tests.Ledger.TestBook;

namespace Atlas.Infrastructure.Tests.Ledger;

/// <summary>
/// What every <see cref="ILedgerStore"/> must do, whatever it stores in. Derive a test class per store and implement
/// <see cref="CreateStore"/>; xUnit creates an instance per test, and every test uses wallets and a counter account of
/// its own, so stores may be shared.
/// </summary>
public abstract class LedgerStoreContractTests
{
    private ILedgerStore? _store;
    private readonly string _counter = $"clearing:test-{Guid.NewGuid():N}";

    /// <summary>The store under test. Called once per test.</summary>
    protected abstract ILedgerStore CreateStore();

    protected ILedgerStore Store => _store ??= CreateStore();

    private TestBook NewBook() => new($"user:contract-{Guid.NewGuid():N}", _counter);

    /// <summary>Applies <paramref name="write"/>, which must be applied, and moves the book on.</summary>
    private async Task<WalletMovement> ApplyAsync(TestBook book, LedgerWrite write)
    {
        var result = await Store.ApplyAsync(book.WalletId, book.Version, write);
        var applied = Assert.IsType<LedgerWriteResult.Applied>(result);
        book.Commit(write);
        return applied.Movement;
    }

    [Fact]
    public async Task A_wallet_never_written_loads_as_null()
    {
        Assert.Null(await Store.LoadAsync(NewBook().WalletId));
    }

    [Fact]
    public async Task A_first_movement_creates_the_wallet_and_loads_back_with_its_balance_version_and_currency()
    {
        var book = NewBook();

        var movement = await ApplyAsync(book, book.TopUp("t1", 1_000));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.NotNull(wallet);
        Assert.Equal((book.WalletId, 1_000L, 0L, 1L), (wallet.WalletId, wallet.Balance, wallet.Held, wallet.Version));
        Assert.Equal(Grains.Monetary.Currency.Eur, wallet.Currency);
        Assert.Empty(wallet.Holds);
        Assert.Equal(("t1", MovementKind.TopUp, Eur(1_000), Eur(1_000), 1L, false), (movement.Reference, movement.Kind, movement.Amount, movement.BalanceAfter, movement.Version, movement.Replayed));
    }

    [Fact]
    public async Task Each_movement_moves_the_wallet_to_the_next_version()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        await ApplyAsync(book, book.Debit("d1", 300));

        await ApplyAsync(book, book.Credit("c1", 50));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((750L, 3L), (wallet!.Balance, wallet.Version));
    }

    [Fact]
    public async Task A_duplicate_reference_returns_the_original_movement_marked_replayed_and_writes_nothing()
    {
        var book = NewBook();
        var original = await ApplyAsync(book, book.TopUp("same", 1_000));

        var result = await Store.ApplyAsync(book.WalletId, book.Version, book.Credit("same", 5_000));

        var duplicate = Assert.IsType<LedgerWriteResult.Duplicate>(result);
        Assert.Equal(original with { Replayed = true }, duplicate.Existing);
        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((1_000L, 1L), (wallet!.Balance, wallet.Version));
        Assert.Single(await Store.ReadEntriesAsync(book.WalletId));
    }

    [Fact]
    public async Task A_duplicate_reference_is_reported_as_such_even_with_a_stale_version()
    {
        var book = NewBook();
        var first = book.TopUp("t1", 1_000);
        await ApplyAsync(book, first);
        await ApplyAsync(book, book.Credit("c1", 10));

        // A retry of the first movement, as a stale activation that never saw its answer would send it.
        var result = await Store.ApplyAsync(book.WalletId, 0, first);

        Assert.Equal("t1", Assert.IsType<LedgerWriteResult.Duplicate>(result).Existing.Reference);
    }

    [Fact]
    public async Task A_write_with_a_stale_version_is_refused_with_the_stored_version_and_writes_nothing()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        await ApplyAsync(book, book.Debit("d1", 100));
        // What a writer that has not seen d1 would send: version 2 after version 1.
        var stale = book.Write("d2", MovementKind.Debit, 200, null, balanceAfter: 800, heldAfter: 0, version: 2);

        var result = await Store.ApplyAsync(book.WalletId, 1, stale);

        Assert.Equal(2, Assert.IsType<LedgerWriteResult.VersionConflict>(result).StoredVersion);
        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((900L, 2L), (wallet!.Balance, wallet.Version));
        Assert.Null(await Store.FindMovementAsync(book.WalletId, "d2"));
        Assert.Equal(2, (await Store.ReadEntriesAsync(book.WalletId)).Count);
    }

    [Fact]
    public async Task A_write_expecting_a_version_of_a_wallet_that_does_not_exist_is_refused()
    {
        var book = NewBook();

        var result = await Store.ApplyAsync(book.WalletId, 3, book.Write("t1", MovementKind.TopUp, 100, null, 100, 0, version: 4));

        Assert.Equal(0, Assert.IsType<LedgerWriteResult.VersionConflict>(result).StoredVersion);
        Assert.Null(await Store.LoadAsync(book.WalletId));
    }

    [Fact]
    public async Task A_hold_is_open_after_it_is_placed_and_a_capture_closes_it_taking_the_captured_amount()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));

        await ApplyAsync(book, book.Hold("h1", 600));
        var held = await Store.LoadAsync(book.WalletId);
        await ApplyAsync(book, book.Capture("c1", "h1", 450));
        var captured = await Store.LoadAsync(book.WalletId);

        Assert.Equal((1_000L, 600L), (held!.Balance, held.Held));
        Assert.Equal(new HoldRecord("h1", Eur(600)), Assert.Single(held.Holds).Value);
        Assert.Equal((550L, 0L, 3L), (captured!.Balance, captured.Held, captured.Version));
        Assert.Empty(captured.Holds);
    }

    [Fact]
    public async Task A_release_closes_the_hold_without_moving_money()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        await ApplyAsync(book, book.Hold("h1", 300));
        await ApplyAsync(book, book.Hold("h2", 200));

        await ApplyAsync(book, book.Release("r1", "h1"));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((1_000L, 200L), (wallet!.Balance, wallet.Held));
        Assert.Equal(["h2"], wallet.Holds.Keys);
        Assert.Single(await Store.ReadEntriesAsync(book.WalletId));
    }

    [Fact]
    public async Task Entries_are_readable_per_account_oldest_first_and_sum_to_zero_per_movement()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        await ApplyAsync(book, book.Hold("h1", 100));
        await ApplyAsync(book, book.Debit("d1", 300));
        await ApplyAsync(book, book.Credit("c1", 20));

        var wallet = await Store.ReadEntriesAsync(book.WalletId);
        var counter = await Store.ReadEntriesAsync(book.CounterAccount);

        Assert.Equal([("t1", 1_000L), ("d1", -300L), ("c1", 20L)], wallet.Select(e => (e.Reference, e.AmountMinor)));
        Assert.Equal([MovementKind.TopUp, MovementKind.Debit, MovementKind.Credit], wallet.Select(e => e.Kind));
        Assert.Equal([($"{book.WalletId}/t1", -1_000L), ($"{book.WalletId}/d1", 300L), ($"{book.WalletId}/c1", -20L)], counter.Select(e => (e.Reference, e.AmountMinor)));
        Assert.All(wallet.Zip(counter), pair => Assert.Equal(0, pair.First.AmountMinor + pair.Second.AmountMinor));
        Assert.Equal(book.Balance, wallet.Sum(e => e.AmountMinor));
        Assert.All(wallet.Concat(counter), e => Assert.Equal("EUR", e.Currency));
    }

    [Fact]
    public async Task Movements_are_read_in_pages_after_a_version_oldest_first()
    {
        var book = NewBook();
        var written = new List<WalletMovement> { await ApplyAsync(book, book.TopUp("t1", 1_000)) };
        written.Add(await ApplyAsync(book, book.Hold("h1", 400)));
        written.Add(await ApplyAsync(book, book.Capture("c1", "h1", 350)));
        for (var i = 0; i < 4; i++)
        {
            written.Add(await ApplyAsync(book, book.Credit($"k{i}", 10 + i)));
        }

        var pages = new List<IReadOnlyList<WalletMovement>>();
        for (long after = 0; ;)
        {
            var page = await Store.ReadMovementsAsync(book.WalletId, after, 3);
            pages.Add(page);
            if (page.Count == 0)
            {
                break;
            }
            after = page[^1].Version;
        }

        Assert.Equal([3, 3, 1, 0], pages.Select(p => p.Count));
        Assert.Equal(written, pages.SelectMany(p => p));
        Assert.Equal("h1", pages[0][2].RelatedReference);
        Assert.Empty(await Store.ReadMovementsAsync(book.WalletId, 7, 10));
    }

    [Fact]
    public async Task Finding_a_movement_returns_it_marked_replayed_or_null_for_an_unknown_reference()
    {
        var book = NewBook();
        var movement = await ApplyAsync(book, book.TopUp("t1", 1_000));

        Assert.Equal(movement with { Replayed = true }, await Store.FindMovementAsync(book.WalletId, "t1"));
        Assert.Null(await Store.FindMovementAsync(book.WalletId, "unknown"));
        Assert.Null(await Store.FindMovementAsync(NewBook().WalletId, "t1"));
    }

    [Fact]
    public async Task The_same_reference_in_two_wallets_is_two_movements()
    {
        var first = NewBook();
        var second = NewBook();

        await ApplyAsync(first, first.TopUp("same", 100));
        await ApplyAsync(second, second.TopUp("same", 200));

        Assert.Equal(Eur(200), (await Store.FindMovementAsync(second.WalletId, "same"))!.Amount);
    }

    [Fact]
    public async Task Of_50_concurrent_writes_with_the_same_expected_version_exactly_one_is_applied()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(() => Store.ApplyAsync(book.WalletId, 1, book.Credit($"c{i}", 10 + i)))));

        Assert.Single(results, r => r is LedgerWriteResult.Applied);
        Assert.All(results.OfType<LedgerWriteResult.VersionConflict>(), c => Assert.Equal(2, c.StoredVersion));
        Assert.Equal(49, results.Count(r => r is LedgerWriteResult.VersionConflict));
        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal(2, wallet!.Version);
        Assert.Equal(wallet.Balance, (await Store.ReadEntriesAsync(book.WalletId)).Sum(e => e.AmountMinor));
        Assert.Equal(2, (await Store.ReadMovementsAsync(book.WalletId, 0, 100)).Count);
    }

    [Fact]
    public async Task Of_concurrent_first_writes_to_a_new_wallet_exactly_one_wins()
    {
        var book = NewBook();

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => Store.ApplyAsync(book.WalletId, 0, book.TopUp($"t{i}", 100 + i)))));

        var winner = Assert.Single(results.OfType<LedgerWriteResult.Applied>());
        Assert.All(results.OfType<LedgerWriteResult.VersionConflict>(), c => Assert.Equal(1, c.StoredVersion));
        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((winner.Movement.Amount.Minor, 1L), (wallet!.Balance, wallet.Version));
        Assert.Single(await Store.ReadMovementsAsync(book.WalletId, 0, 100));
    }

    [Fact]
    public async Task A_write_that_would_overdraw_the_wallet_is_refused_and_writes_nothing()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 100));

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Store.ApplyAsync(book.WalletId, 1, book.Debit("d1", 500)));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((100L, 1L), (wallet!.Balance, wallet.Version));
        Assert.Null(await Store.FindMovementAsync(book.WalletId, "d1"));
    }

    [Fact]
    public async Task A_write_whose_entries_do_not_sum_to_zero_is_refused_and_writes_nothing()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 100));
        var at = Now();
        var unbalanced = book.Write("c1", MovementKind.Credit, 50, null, 150, 0, entries:
        [
            new LedgerEntry(book.WalletId, "c1", MovementKind.Credit, 50, "EUR", at),
            new LedgerEntry(book.CounterAccount, $"{book.WalletId}/c1", MovementKind.Credit, -40, "EUR", at),
        ]);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Store.ApplyAsync(book.WalletId, 1, unbalanced));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((100L, 1L), (wallet!.Balance, wallet.Version));
        Assert.DoesNotContain(await Store.ReadEntriesAsync(book.CounterAccount), e => e.Reference.EndsWith("/c1", StringComparison.Ordinal));
    }

    // ---- Several movements in one write (the wallet's group commit) ----

    [Fact]
    public async Task A_batch_is_written_in_one_step_with_consecutive_versions_and_its_entries()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        var writes = new List<LedgerWrite>();
        foreach (var make in new Func<LedgerWrite>[] { () => book.Credit("c1", 10), () => book.Debit("d1", 300), () => book.Hold("h1", 100) })
        {
            var write = make();
            writes.Add(write);
            book.Commit(write);
        }

        var result = await Store.ApplyBatchAsync(book.WalletId, 1, writes);

        var applied = Assert.IsType<LedgerBatchResult.Applied>(result);
        Assert.Equal([2L, 3L, 4L], applied.Movements.Select(m => m.Version));
        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((710L, 100L, 4L), (wallet!.Balance, wallet.Held, wallet.Version));
        Assert.Equal(["h1"], wallet.Holds.Keys);
        Assert.Equal([1_000L, 10L, -300L], (await Store.ReadEntriesAsync(book.WalletId)).Select(e => e.AmountMinor));
        Assert.Equal(applied.Movements, await Store.ReadMovementsAsync(book.WalletId, 1, 10));
    }

    [Fact]
    public async Task A_batch_that_opens_and_closes_a_hold_leaves_it_closed()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        var hold = book.Hold("h1", 400);
        book.Commit(hold);
        var capture = book.Capture("c1", "h1", 300);
        book.Commit(capture);

        Assert.IsType<LedgerBatchResult.Applied>(await Store.ApplyBatchAsync(book.WalletId, 1, [hold, capture]));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((700L, 0L, 3L), (wallet!.Balance, wallet.Held, wallet.Version));
        Assert.Empty(wallet.Holds);
    }

    [Fact]
    public async Task A_batch_with_a_used_reference_writes_nothing_and_names_the_duplicates()
    {
        var book = NewBook();
        var original = await ApplyAsync(book, book.TopUp("t1", 1_000));
        var fresh = book.Credit("c1", 10);
        book.Commit(fresh);
        var retry = book.Write("t1", MovementKind.TopUp, 1_000, null, 2_010, 0);

        var result = await Store.ApplyBatchAsync(book.WalletId, 1, [fresh, retry]);

        Assert.Equal([original with { Replayed = true }], Assert.IsType<LedgerBatchResult.Duplicates>(result).Existing);
        Assert.Equal(1, (await Store.LoadAsync(book.WalletId))!.Version);
        Assert.Null(await Store.FindMovementAsync(book.WalletId, "c1"));
    }

    [Fact]
    public async Task A_batch_with_a_stale_version_writes_nothing()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 1_000));
        await ApplyAsync(book, book.Credit("c1", 1));
        var stale = new[]
        {
            book.Write("c2", MovementKind.Credit, 5, null, 1_005, 0, version: 2),
            book.Write("c3", MovementKind.Credit, 5, null, 1_010, 0, version: 3),
        };

        var result = await Store.ApplyBatchAsync(book.WalletId, 1, stale);

        Assert.Equal(2, Assert.IsType<LedgerBatchResult.VersionConflict>(result).StoredVersion);
        Assert.Equal(2, (await Store.ReadMovementsAsync(book.WalletId, 0, 10)).Count);
    }

    [Fact]
    public async Task A_batch_in_which_one_movement_breaks_an_invariant_writes_none_of_them()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 100));
        var credit = book.Credit("c1", 50);
        book.Commit(credit);
        var overdraw = book.Debit("d1", 500);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Store.ApplyBatchAsync(book.WalletId, 1, [credit, overdraw]));

        var wallet = await Store.LoadAsync(book.WalletId);
        Assert.Equal((100L, 1L), (wallet!.Balance, wallet.Version));
        Assert.Null(await Store.FindMovementAsync(book.WalletId, "c1"));
    }

    [Fact]
    public async Task A_batch_whose_versions_do_not_follow_the_expected_one_is_refused_as_malformed()
    {
        var book = NewBook();
        await ApplyAsync(book, book.TopUp("t1", 100));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ApplyBatchAsync(book.WalletId, 1,
            [book.Write("c1", MovementKind.Credit, 5, null, 105, 0, version: 2), book.Write("c2", MovementKind.Credit, 5, null, 110, 0, version: 4)]));
        Assert.Equal(1, (await Store.LoadAsync(book.WalletId))!.Version);
    }

    [Fact]
    public async Task A_cash_rides_commission_takes_a_wallet_below_zero_within_its_credit_limit_and_a_top_up_settles_it()
    {
        var book = NewBook();

        var reserve = await ApplyAsync(book, book.HoldOnCredit("reserve", 90, 100));
        var commission = await ApplyAsync(book, book.Capture("commission", "reserve", 80));

        Assert.Equal((Eur(0), Eur(90), Eur(100)), (reserve.BalanceAfter, reserve.HeldAfter, reserve.CreditLimit!.Value));
        Assert.Equal((Eur(-80), Eur(0)), (commission.BalanceAfter, commission.HeldAfter));
        var stored = (await Store.FindMovementAsync(book.WalletId, "reserve"))!;
        Assert.Equal(Eur(100), stored.CreditLimit);
        Assert.Null((await Store.FindMovementAsync(book.WalletId, "commission"))!.CreditLimit);
        Assert.Equal(-80, (await Store.LoadAsync(book.WalletId))!.Balance);

        await ApplyAsync(book, book.TopUp("settle", 100));
        Assert.Equal(20, (await Store.LoadAsync(book.WalletId))!.Balance);
        // Replaying the wallet's entries gives its balance.
        Assert.Equal(20, (await Store.ReadEntriesAsync(book.WalletId)).Sum(e => e.AmountMinor));
    }

    [Fact]
    public async Task Money_coming_into_an_indebted_wallet_pays_the_debt_down_without_settling_it_all()
    {
        var book = NewBook();
        await ApplyAsync(book, book.HoldOnCredit("reserve", 100, 100));
        await ApplyAsync(book, book.Capture("commission", "reserve", 100));

        var credit = await ApplyAsync(book, book.Credit("share", 30));

        Assert.Equal(Eur(-70), credit.BalanceAfter);
    }
}
