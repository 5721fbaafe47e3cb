using Atlas.Infrastructure.Postgres;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Atlas.Infrastructure.Ledger;

/// <summary>
/// The wallets' ledger in PostgreSQL (production). A write is ONE statement, hence one transaction and one round trip:
/// the duplicate-reference check, the version-fenced update of the wallet row (or its insert, for a new wallet), the
/// movements, their entries and the holds they open or close, as data-modifying CTEs that all hang off the wallet
/// row's update — if the version does not match, nothing is written. The database checks the ledger's invariants at
/// commit on its own (see <see cref="PostgresLedgerSchema"/>).
/// </summary>
public sealed class PostgresLedgerStore : ILedgerStore
{
    private const string Store = "PostgreSQL ledger";

    private const string MovementColumns = "reference, kind, amount, currency, related_reference, balance_after, held_after, version, at, credit_limit";

    /// <summary>The statement of a write; <c>{0}</c> is the wallet row's update (or insert for a new wallet).</summary>
    private const string ApplyTemplate =
        """
        with duplicate as (
            select reference, kind, amount, currency, related_reference, balance_after, held_after, version, at, credit_limit
            from ledger_movements where wallet_id = $1 and reference = any($3)
        ),
        wallet as (
            {0}
        ),
        movements as (
            insert into ledger_movements (wallet_id, reference, kind, amount, currency, related_reference, balance_after, held_after, version, at, credit_limit)
            select wallet.id, m.reference, m.kind, m.amount, m.currency, m.related_reference, m.balance_after, m.held_after, m.version, m.at, m.credit_limit
            from wallet, unnest($3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::timestamptz[], $27::bigint[])
                as m(reference, kind, amount, currency, related_reference, balance_after, held_after, version, at, credit_limit)
        ),
        entries as (
            insert into ledger_entries (wallet_id, movement_reference, account, reference, kind, amount, currency, at)
            select wallet.id, e.movement_reference, e.account, e.reference, e.kind, e.amount, e.currency, e.at
            from wallet, unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::text[], $22::timestamptz[])
                as e(movement_reference, account, reference, kind, amount, currency, at)
        ),
        closed_holds as (
            delete from wallet_holds where wallet_id = (select id from wallet) and reference = any($26::text[])
        ),
        opened_holds as (
            insert into wallet_holds (wallet_id, reference, amount, currency)
            select wallet.id, h.reference, h.amount, h.currency
            from wallet, unnest($23::text[], $24::bigint[], $25::text[]) as h(reference, amount, currency)
        )
        select (select count(*) from wallet), d.reference, d.kind, d.amount, d.currency, d.related_reference, d.balance_after, d.held_after, d.version, d.at, d.credit_limit
        from (select) as one left join duplicate as d on true
        """;

    private const string UpdateWalletSql =
        """
        update wallets set currency = $12, balance = $13, held = $14, version = $15
            where id = $1 and version = $2 and not exists (select from duplicate)
            returning id
        """;

    // A new wallet's row is inserted at the version of its first movement; of two first writers racing, the second
    // waits on the first's primary key entry, then inserts nothing and so writes nothing.
    private const string InsertWalletSql =
        """
        insert into wallets (id, currency, balance, held, version)
            select $1, $12, $13, $14, $15 where $2 = 0 and not exists (select from duplicate)
            on conflict (id) do nothing
            returning id
        """;

    private static readonly string ApplyToExistingWalletSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, ApplyTemplate, UpdateWalletSql);
    private static readonly string ApplyToNewWalletSql = string.Format(System.Globalization.CultureInfo.InvariantCulture, ApplyTemplate, InsertWalletSql);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly object _schemaLock = new();
    private Task? _schema;

    /// <param name="dataSource">The connection pool; the caller owns it. The schema is created on first use.</param>
    /// <param name="logger">Where outages and refused writes are logged.</param>
    public PostgresLedgerStore(NpgsqlDataSource dataSource, ILogger<PostgresLedgerStore>? logger = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Applies the ledger's migrations now rather than at the first call (e.g. at start-up).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync(_ => Task.FromResult(true), readOnly: true, "creating the schema", cancellationToken);

    public Task<WalletSnapshot?> LoadAsync(string walletId, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Command("select currency, balance, held, version from wallets where id = $1", walletId),
                    Command("select reference, amount, currency from wallet_holds where wallet_id = $1", walletId),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(token);
            if (!await reader.ReadAsync(token))
            {
                return null;
            }
            var (currency, balance, held, version) = (new Currency(reader.GetString(0)), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            await reader.NextResultAsync(token);
            var holds = new Dictionary<string, HoldRecord>(StringComparer.Ordinal);
            while (await reader.ReadAsync(token))
            {
                var reference = reader.GetString(0);
                holds[reference] = new HoldRecord(reference, new Money(reader.GetInt64(1), new Currency(reader.GetString(2))));
            }
            return new WalletSnapshot(walletId, currency, balance, held, version, holds);
        }, readOnly: true, $"loading wallet {walletId}", cancellationToken);

    public async Task<LedgerWriteResult> ApplyAsync(string walletId, long expectedVersion, LedgerWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return (await ApplyBatchAsync(LedgerBatch.Of(walletId, expectedVersion, [write]), cancellationToken)).ToWriteResult();
    }

    public Task<LedgerBatchResult> ApplyBatchAsync(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes, CancellationToken cancellationToken = default) =>
        ApplyBatchAsync(LedgerBatch.Of(walletId, expectedVersion, writes), cancellationToken);

    private Task<LedgerBatchResult> ApplyBatchAsync(LedgerBatch batch, CancellationToken cancellationToken) =>
        RunAsync(async token =>
        {
            var normalized = batch.Writes.Select(w => Normalize(w.Movement)).ToArray();
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            try
            {
                await using var command = CreateApplyCommand(batch, normalized);
                command.Connection = connection;
                // The statement is long and its plan the same every time: prepared once per physical connection
                // (Npgsql keeps it across pool rentals), it is not parsed and planned on every write.
                await command.PrepareAsync(token);
                await using var reader = await command.ExecuteReaderAsync(token);
                await reader.ReadAsync(token);
                if (reader.GetInt64(0) == 1)
                {
                    return new LedgerBatchResult.Applied(normalized);
                }
                var duplicates = new List<WalletMovement>();
                do
                {
                    if (!reader.IsDBNull(1))
                    {
                        duplicates.Add(ReadMovement(reader, batch.WalletId, offset: 1) with { Replayed = true });
                    }
                }
                while (await reader.ReadAsync(token));
                if (duplicates.Count > 0)
                {
                    return new LedgerBatchResult.Duplicates(duplicates);
                }
            }
            catch (PostgresException exception) when (exception is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "ledger_movements_reference_unique" })
            {
                // A movement with one of these references was committed beside the wallet row's lock (a writer that
                // bypassed it): answer as for a duplicate, below.
            }
            // Nothing written: tell a version conflict from a duplicate committed after this statement's snapshot.
            return await ExplainRefusalAsync(connection, batch, token);
        }, readOnly: false, $"writing {Describe(batch)}", cancellationToken, batch.WalletId);

    public Task<WalletMovement?> FindMovementAsync(string walletId, string reference, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand($"select {MovementColumns} from ledger_movements where wallet_id = $1 and reference = $2");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = walletId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token) ? ReadMovement(reader, walletId, offset: 0) with { Replayed = true } : null;
        }, readOnly: true, $"finding movement {reference} of wallet {walletId}", cancellationToken);

    public Task<IReadOnlyList<WalletMovement>> ReadMovementsAsync(string walletId, long afterVersion, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"select {MovementColumns} from ledger_movements where wallet_id = $1 and version > $2 order by version limit $3");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = walletId });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterVersion });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
            await using var reader = await command.ExecuteReaderAsync(token);
            var movements = new List<WalletMovement>();
            while (await reader.ReadAsync(token))
            {
                movements.Add(ReadMovement(reader, walletId, offset: 0));
            }
            return (IReadOnlyList<WalletMovement>)movements;
        }, readOnly: true, $"reading the movements of wallet {walletId}", cancellationToken);
    }

    public Task<IReadOnlyList<LedgerEntry>> ReadEntriesAsync(string account, CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "select account, reference, kind, amount, currency, at from ledger_entries where account = $1 order by id");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = account });
            await using var reader = await command.ExecuteReaderAsync(token);
            var entries = new List<LedgerEntry>();
            while (await reader.ReadAsync(token))
            {
                entries.Add(new LedgerEntry(reader.GetString(0), reader.GetString(1), Enum.Parse<MovementKind>(reader.GetString(2)),
                    reader.GetInt64(3), reader.GetString(4), AsOffset(reader.GetFieldValue<DateTime>(5))));
            }
            return (IReadOnlyList<LedgerEntry>)entries;
        }, readOnly: true, $"reading the entries of account {account}", cancellationToken);

    /// <summary>
    /// The statement <see cref="ApplyAsync"/> sends for <paramref name="writes"/> (no connection set; the store prepares
    /// it): one statement, so one transaction in autocommit mode. Its first result row starts with 1 if it wrote, 0 if
    /// not. Public so that tools and benchmarks can issue exactly what the store issues.
    /// </summary>
    public static NpgsqlCommand CreateApplyCommand(string walletId, long expectedVersion, IReadOnlyList<LedgerWrite> writes)
    {
        var batch = LedgerBatch.Of(walletId, expectedVersion, writes);
        return CreateApplyCommand(batch, batch.Writes.Select(w => Normalize(w.Movement)).ToArray());
    }

    private static NpgsqlCommand CreateApplyCommand(LedgerBatch batch, IReadOnlyList<WalletMovement> movements)
    {
        var command = new NpgsqlCommand(batch.ExpectedVersion == 0 ? ApplyToNewWalletSql : ApplyToExistingWalletSql);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = batch.WalletId });
        p.Add(new NpgsqlParameter<long> { TypedValue = batch.ExpectedVersion });
        p.Add(ArrayOf(movements.Select(m => m.Reference)));
        p.Add(ArrayOf(movements.Select(m => m.Kind.ToString())));
        p.Add(ArrayOf(movements.Select(m => m.Amount.Minor)));
        p.Add(ArrayOf(movements.Select(m => m.Amount.Currency.Code)));
        p.Add(ArrayOf(movements.Select(m => m.RelatedReference)));
        p.Add(ArrayOf(movements.Select(m => m.BalanceAfter.Minor)));
        p.Add(ArrayOf(movements.Select(m => m.HeldAfter.Minor)));
        p.Add(ArrayOf(movements.Select(m => m.Version)));
        p.Add(ArrayOf(movements.Select(m => m.At.UtcDateTime)));
        var (currency, balance, held, version) = batch.Final;
        p.Add(new NpgsqlParameter<string> { TypedValue = currency.Code });
        p.Add(new NpgsqlParameter<long> { TypedValue = balance });
        p.Add(new NpgsqlParameter<long> { TypedValue = held });
        p.Add(new NpgsqlParameter<long> { TypedValue = version });
        var entries = batch.Writes.SelectMany(w => w.Entries.Select(e => (Movement: w.Movement.Reference, Entry: e))).ToArray();
        p.Add(ArrayOf(entries.Select(e => e.Movement)));
        p.Add(ArrayOf(entries.Select(e => e.Entry.Account)));
        p.Add(ArrayOf(entries.Select(e => e.Entry.Reference)));
        p.Add(ArrayOf(entries.Select(e => e.Entry.Kind.ToString())));
        p.Add(ArrayOf(entries.Select(e => e.Entry.AmountMinor)));
        p.Add(ArrayOf(entries.Select(e => e.Entry.Currency)));
        p.Add(ArrayOf(entries.Select(e => Normalize(e.Entry.At).UtcDateTime)));
        p.Add(ArrayOf(batch.OpenedHolds.Select(h => h.Reference)));
        p.Add(ArrayOf(batch.OpenedHolds.Select(h => h.Amount.Minor)));
        p.Add(ArrayOf(batch.OpenedHolds.Select(h => h.Amount.Currency.Code)));
        p.Add(ArrayOf(batch.ClosedHolds));
        p.Add(ArrayOf(movements.Select(m => m.CreditLimit?.Minor)));
        return command;
    }

    private async Task<LedgerBatchResult> ExplainRefusalAsync(NpgsqlConnection connection, LedgerBatch batch, CancellationToken cancellationToken)
    {
        var find = Command($"select {MovementColumns} from ledger_movements where wallet_id = $1 and reference = any($2)", batch.WalletId);
        find.Parameters.Add(ArrayOf(batch.References));
        await using var explain = new NpgsqlBatch(connection)
        {
            BatchCommands = { Command("select version from wallets where id = $1", batch.WalletId), find },
        };
        await using var reader = await explain.ExecuteReaderAsync(cancellationToken);
        var stored = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
        await reader.NextResultAsync(cancellationToken);
        var duplicates = new List<WalletMovement>();
        while (await reader.ReadAsync(cancellationToken))
        {
            duplicates.Add(ReadMovement(reader, batch.WalletId, offset: 0) with { Replayed = true });
        }
        return duplicates.Count > 0 ? new LedgerBatchResult.Duplicates(duplicates) : new LedgerBatchResult.VersionConflict(stored);
    }

    private static WalletMovement ReadMovement(NpgsqlDataReader reader, string walletId, int offset)
    {
        var currency = new Currency(reader.GetString(offset + 3));
        return new WalletMovement(
            walletId,
            reader.GetString(offset),
            Enum.Parse<MovementKind>(reader.GetString(offset + 1)),
            new Money(reader.GetInt64(offset + 2), currency),
            reader.IsDBNull(offset + 4) ? null : reader.GetString(offset + 4),
            new Money(reader.GetInt64(offset + 5), currency),
            new Money(reader.GetInt64(offset + 6), currency),
            reader.GetInt64(offset + 7),
            AsOffset(reader.GetFieldValue<DateTime>(offset + 8)),
            CreditLimit: reader.IsDBNull(offset + 9) ? null : new Money(reader.GetInt64(offset + 9), currency));
    }

    /// <summary>timestamptz keeps microseconds in UTC: a movement is returned as it will read back.</summary>
    private static WalletMovement Normalize(WalletMovement movement) => movement with { At = Normalize(movement.At), Replayed = false };

    private static DateTimeOffset Normalize(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        return new DateTimeOffset(ticks - ticks % 10, TimeSpan.Zero);
    }

    private static DateTimeOffset AsOffset(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    private static NpgsqlBatchCommand Command(string sql, string walletId)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = walletId });
        return command;
    }

    private static NpgsqlParameter<T[]> ArrayOf<T>(IEnumerable<T> values) => new() { TypedValue = values.ToArray() };

    private static string Describe(LedgerBatch batch) => batch.Writes.Count == 1
        ? $"movement {batch.Writes[0].Movement.Reference} of wallet {batch.WalletId}"
        : $"{batch.Writes.Count} movements of wallet {batch.WalletId}";

    private Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        Task schema;
        lock (_schemaLock)
        {
            if (_schema is null || _schema.IsFaulted || _schema.IsCanceled)
            {
                // Not the caller's token: one caller giving up must not fail the others waiting on the same run.
                _schema = PostgresMigrations.ApplyAsync(_dataSource, PostgresLedgerSchema.Migrations, _logger, CancellationToken.None);
            }
            schema = _schema;
        }
        return schema.IsCompletedSuccessfully ? Task.CompletedTask : schema.WaitAsync(cancellationToken);
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, bool readOnly, string action, CancellationToken cancellationToken, string? walletId = null)
    {
        try
        {
            return await PostgresFailures.RunAsync(async token =>
                {
                    await EnsureSchemaAsync(token);
                    return await operation(token);
                },
                readOnly, Store, action, static (message, cause) => new LedgerUnavailableException(message, Store, cause), _logger, cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState.StartsWith("23", StringComparison.Ordinal))
        {
            var invariant = exception.ConstraintName ?? exception.SqlState;
            LedgerLog.WriteRefused(_logger, Store, action, invariant, exception);
            throw new LedgerInvariantViolationException(
                $"{Store} refused {action}: it would break the ledger invariant '{invariant}' ({exception.MessageText}). Nothing was written.",
                walletId ?? "", invariant, exception);
        }
    }
}
