using Atlas.Infrastructure.Sqlite;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// The wallets' ledger in a SQLite file (the embedded default). A write is one transaction on the file's writer: the
/// duplicate-reference check, the version check, the per-movement rules (entries sum to zero, balances chain from the
/// stored one, <see cref="LedgerRules"/>), the wallet row (inserted at version 0 if new, then updated where its version is the expected one),
/// the movements, their entries and holds. A crash leaves all of it or none of it.
/// </summary>
public sealed class SqliteLedgerStore : ILedgerStore
{
    private const string Store = "SQLite ledger";

    private const string MovementColumns = "reference, kind, amount, currency, related_reference, balance_after, held_after, version, at, credit_limit";

    private const int SqliteConstraint = 19;

    private readonly SqliteDatabase _database;
    private readonly ILogger _logger;

    /// <param name="database">The file; the caller owns it. The schema is created on first use.</param>
    /// <param name="logger">Where failures and refused writes are logged.</param>
    public SqliteLedgerStore(SqliteDatabase database, ILogger<SqliteLedgerStore>? logger = null)
    {
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Applies the ledger's migrations now rather than at the first call.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_ => Task.FromResult(true), "creating the schema", cancellationToken);

    public Task<WalletSnapshot?> LoadAsync(string walletId, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, "select currency, balance, held, version from wallets where id = $wallet", walletId);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct))
                {
                    return null;
                }
                var (currency, balance, held, version) = (new Currency(reader.GetString(0)), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
                return new WalletSnapshot(walletId, currency, balance, held, version, await ReadHoldsAsync(connection, walletId, ct));
            }
        }, token), $"loading wallet {walletId}", cancellationToken);

    public async Task<LedgerWriteResult> ApplyAsync(string walletId, long expectedVersion, LedgerWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return (await ApplyBatchAsync(LedgerBatch.Of(walletId, expectedVersion, [write]), cancellationToken)).ToWriteResult();
    }

    public Task<LedgerBatchResult> ApplyBatchAsync(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes, CancellationToken cancellationToken = default) =>
        ApplyBatchAsync(LedgerBatch.Of(walletId, expectedVersion, writes), cancellationToken);

    private Task<LedgerBatchResult> ApplyBatchAsync(LedgerBatch batch, CancellationToken cancellationToken) =>
        RunAsync(token => _database.WriteAsync<LedgerBatchResult>(async (connection, transaction, ct) =>
        {
            var duplicates = await FindAsync(connection, transaction, batch.WalletId, batch.References, ct);
            if (duplicates.Count > 0)
            {
                return new LedgerBatchResult.Duplicates(duplicates);
            }
            long storedVersion = 0, storedBalance = 0, storedHeld = 0;
            var exists = false;
            await using (var read = Command(connection, transaction, "select version, balance, held from wallets where id = $wallet", batch.WalletId))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    (exists, storedVersion, storedBalance, storedHeld) = (true, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                }
            }
            if (storedVersion != batch.ExpectedVersion)
            {
                return new LedgerBatchResult.VersionConflict(storedVersion);
            }
            CheckMovements(batch, storedBalance, storedHeld);

            var (currency, balance, held, version) = batch.Final;
            if (!exists)
            {
                await ExecuteAsync(connection, transaction,
                    "insert into wallets (id, currency, balance, held, version) values ($wallet, $currency, 0, 0, 0) on conflict (id) do nothing",
                    batch.WalletId, ("$currency", currency.Code));
            }
            var updated = await ExecuteAsync(connection, transaction,
                "update wallets set currency = $currency, balance = $balance, held = $held, version = $version where id = $wallet and version = $expected",
                batch.WalletId, ("$currency", currency.Code), ("$balance", balance), ("$held", held), ("$version", version), ("$expected", batch.ExpectedVersion));
            if (updated == 0)
            {
                return new LedgerBatchResult.VersionConflict(storedVersion);
            }
            foreach (var write in batch.Writes)
            {
                var m = write.Movement;
                await ExecuteAsync(connection, transaction,
                    $"insert into ledger_movements (wallet_id, {MovementColumns}) values ($wallet, $reference, $kind, $amount, $currency, $related, $balance, $held, $version, $at, $credit)",
                    batch.WalletId, ("$reference", m.Reference), ("$kind", m.Kind.ToString()), ("$amount", m.Amount.Minor), ("$currency", m.Amount.Currency.Code),
                    ("$related", m.RelatedReference), ("$balance", m.BalanceAfter.Minor), ("$held", m.HeldAfter.Minor), ("$version", m.Version), ("$at", m.At.UtcTicks),
                    ("$credit", m.CreditLimit?.Minor));
                foreach (var entry in write.Entries)
                {
                    await ExecuteAsync(connection, transaction,
                        """
                        insert into ledger_entries (account, reference, kind, amount, currency, at, wallet_id, movement_reference)
                        values ($account, $reference, $kind, $amount, $currency, $at, $wallet, $movement)
                        """,
                        batch.WalletId, ("$account", entry.Account), ("$reference", entry.Reference), ("$kind", entry.Kind.ToString()), ("$amount", entry.AmountMinor),
                        ("$currency", entry.Currency), ("$at", entry.At.UtcTicks), ("$movement", m.Reference));
                }
            }
            foreach (var closed in batch.ClosedHolds)
            {
                await ExecuteAsync(connection, transaction, "delete from wallet_holds where wallet_id = $wallet and reference = $reference", batch.WalletId, ("$reference", closed));
            }
            foreach (var opened in batch.OpenedHolds)
            {
                await ExecuteAsync(connection, transaction,
                    "insert into wallet_holds (wallet_id, reference, amount, currency) values ($wallet, $reference, $amount, $currency)",
                    batch.WalletId, ("$reference", opened.Reference), ("$amount", opened.Amount.Minor), ("$currency", opened.Amount.Currency.Code));
            }
            await using (var holds = Command(connection, transaction, "select coalesce(sum(amount), 0) from wallet_holds where wallet_id = $wallet", batch.WalletId))
            {
                var open = (long)(await holds.ExecuteScalarAsync(ct))!;
                if (open != held)
                {
                    throw Violation(batch.WalletId, "wallets_held_matches_holds", $"wallet {batch.WalletId} would hold {held} but its open holds total {open}");
                }
            }
            return new LedgerBatchResult.Applied(batch.Writes.Select(w => w.Movement with { Replayed = false }).ToArray());
        }, token), $"writing {Describe(batch)}", cancellationToken, batch.WalletId);

    public Task<WalletMovement?> FindMovementAsync(string walletId, string reference, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
            (await FindAsync(connection, null, walletId, [reference], ct)).FirstOrDefault(), token),
            $"finding movement {reference} of wallet {walletId}", cancellationToken);

    public Task<IReadOnlyList<WalletMovement>> ReadMovementsAsync(string walletId, long afterVersion, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null,
                $"select {MovementColumns} from ledger_movements where wallet_id = $wallet and version > $after order by version limit $limit", walletId);
            command.Parameters.AddWithValue("$after", afterVersion);
            command.Parameters.AddWithValue("$limit", limit);
            return (IReadOnlyList<WalletMovement>)await ReadMovementsAsync(command, walletId, ct);
        }, token), $"reading the movements of wallet {walletId}", cancellationToken);
    }

    public Task<IReadOnlyList<LedgerEntry>> ReadEntriesAsync(string account, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "select account, reference, kind, amount, currency, at from ledger_entries where account = $account order by id";
            command.Parameters.AddWithValue("$account", account);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var entries = new List<LedgerEntry>();
            while (await reader.ReadAsync(ct))
            {
                entries.Add(new LedgerEntry(reader.GetString(0), reader.GetString(1), Enum.Parse<MovementKind>(reader.GetString(2)),
                    reader.GetInt64(3), reader.GetString(4), new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero)));
            }
            return (IReadOnlyList<LedgerEntry>)entries;
        }, token), $"reading the entries of account {account}", cancellationToken);

    /// <summary>
    /// The rules PostgreSQL checks at commit with a constraint trigger; SQLite has no deferred constraints, so they are
    /// checked here, inside the write's transaction, against the balance it read.
    /// </summary>
    private static void CheckMovements(LedgerBatch batch, long storedBalance, long storedHeld)
    {
        var previous = storedBalance;
        var previousHeld = storedHeld;
        foreach (var write in batch.Writes)
        {
            var m = write.Movement;
            var delta = LedgerBatch.BalanceDeltaOf(m.Kind, m.Amount.Minor);
            var total = write.Entries.Sum(e => e.AmountMinor);
            if (total != 0)
            {
                throw Violation(batch.WalletId, "ledger_entries_balanced", $"the entries of movement {m.Reference} of wallet {batch.WalletId} sum to {total}, not 0");
            }
            var onWallet = write.Entries.Where(e => e.Account == batch.WalletId).Sum(e => e.AmountMinor);
            if (onWallet != delta)
            {
                throw Violation(batch.WalletId, "ledger_entries_match_movement",
                    $"movement {m.Reference} ({m.Kind} of {m.Amount.Minor}) changes wallet {batch.WalletId} by {delta}, but its entries on the wallet total {onWallet}");
            }
            if (previous + delta != m.BalanceAfter.Minor)
            {
                throw Violation(batch.WalletId, "ledger_movements_chained",
                    $"movement {m.Reference} of wallet {batch.WalletId} leaves a balance of {m.BalanceAfter.Minor}, but {previous} and a change of {delta} make {previous + delta}");
            }
            if (LedgerRules.Violation(m, previous, previousHeld) is { } rule)
            {
                throw Violation(batch.WalletId, rule,
                    $"movement {m.Reference} ({m.Kind} of {m.Amount.Minor}) leaves wallet {batch.WalletId} at balance {m.BalanceAfter.Minor}, held {m.HeldAfter.Minor}" +
                    (m.CreditLimit is { } limit ? $", credit limit {limit.Minor}" : ", no credit limit"));
            }
            (previous, previousHeld) = (m.BalanceAfter.Minor, m.HeldAfter.Minor);
        }
    }

    private static async Task<List<WalletMovement>> FindAsync(SqliteConnection connection, SqliteTransaction? transaction, string walletId, IEnumerable<string> references, CancellationToken cancellationToken)
    {
        var found = new List<WalletMovement>();
        await using var command = Command(connection, transaction, $"select {MovementColumns} from ledger_movements where wallet_id = $wallet and reference = $reference", walletId);
        var reference = command.Parameters.Add("$reference", SqliteType.Text);
        foreach (var value in references)
        {
            reference.Value = value;
            found.AddRange((await ReadMovementsAsync(command, walletId, cancellationToken)).Select(m => m with { Replayed = true }));
        }
        return found;
    }

    private static async Task<List<WalletMovement>> ReadMovementsAsync(SqliteCommand command, string walletId, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var movements = new List<WalletMovement>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var currency = new Currency(reader.GetString(3));
            movements.Add(new WalletMovement(
                walletId,
                reader.GetString(0),
                Enum.Parse<MovementKind>(reader.GetString(1)),
                new Money(reader.GetInt64(2), currency),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                new Money(reader.GetInt64(5), currency),
                new Money(reader.GetInt64(6), currency),
                reader.GetInt64(7),
                new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero),
                CreditLimit: reader.IsDBNull(9) ? null : new Money(reader.GetInt64(9), currency)));
        }
        return movements;
    }

    private static async Task<IReadOnlyDictionary<string, HoldRecord>> ReadHoldsAsync(SqliteConnection connection, string walletId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, "select reference, amount, currency from wallet_holds where wallet_id = $wallet", walletId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var holds = new Dictionary<string, HoldRecord>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var reference = reader.GetString(0);
            holds[reference] = new HoldRecord(reference, new Money(reader.GetInt64(1), new Currency(reader.GetString(2))));
        }
        return holds;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, string walletId)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$wallet", walletId);
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, string walletId, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, walletId);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return await command.ExecuteNonQueryAsync();
    }

    private static LedgerInvariantViolationException Violation(string walletId, string invariant, string what) =>
        new($"{Store} refused the write: {what} (invariant '{invariant}'). Nothing was written.", walletId, invariant);

    private static string Describe(LedgerBatch batch) => batch.Writes.Count == 1
        ? $"movement {batch.Writes[0].Movement.Reference} of wallet {batch.WalletId}"
        : $"{batch.Writes.Count} movements of wallet {batch.WalletId}";

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, string action, CancellationToken cancellationToken, string? walletId = null)
    {
        try
        {
            return await SqliteFailures.RunAsync(async token =>
                {
                    await _database.EnsureSchemaAsync(SqliteLedgerSchema.Migrations, token);
                    return await operation(token);
                },
                Store, action, static (message, cause) => new LedgerUnavailableException(message, Store, cause), _logger, cancellationToken);
        }
        catch (LedgerInvariantViolationException exception)
        {
            LedgerLog.WriteRefused(_logger, Store, action, exception.Invariant, exception);
            throw;
        }
        catch (SqliteException exception) when (exception.SqliteErrorCode == SqliteConstraint)
        {
            // "CHECK constraint failed: wallets_available_non_negative", "UNIQUE constraint failed: ledger_movements.wallet_id, ..."
            var marker = exception.Message.IndexOf("failed: ", StringComparison.Ordinal);
            var invariant = marker < 0 ? "constraint" : exception.Message[(marker + "failed: ".Length)..].Trim();
            LedgerLog.WriteRefused(_logger, Store, action, invariant, exception);
            throw new LedgerInvariantViolationException(
                $"{Store} refused {action}: it would break the ledger invariant '{invariant}' ({exception.Message}). Nothing was written.",
                walletId ?? "", invariant, exception);
        }
    }
}
