using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Npgsql;
using static Atlas.Bench.WalletLedger.RideFare;

namespace Atlas.Bench.WalletLedger;

/// <summary>
/// The baseline: plain PostgreSQL transactions doing the same rows as the wallet grains — per movement <c>BEGIN</c>,
/// <c>SELECT … FOR UPDATE</c> of the wallet row (and the hold a capture closes), the very statement
/// <see cref="PostgresLedgerStore"/> issues (<see cref="PostgresLedgerStore.CreateApplyCommand"/>, prepared), <c>COMMIT</c>.
/// </summary>
internal sealed class PlainTransactionPayments(NpgsqlDataSource dataSource, RideWallets wallets) : IRidePayments
{
    private const string Counter = CounterAccounts.RideClearing;

    /// <summary>A data source on <paramref name="connectionString"/> (whose pool size is the scenario's).</summary>
    public static PlainTransactionPayments Create(string connectionString, RideWallets wallets) =>
        new(NpgsqlDataSource.Create(connectionString), wallets);

    public async Task PrepareAsync(int slot, int rides)
    {
        var rider = wallets.Rider(slot);
        await ApplyInTransactionAsync(rider, MovementKind.TopUp, "top-up", TopUp(slot, rides), null);
        for (var ride = 0; ride < rides; ride++)
        {
            await ApplyInTransactionAsync(rider, MovementKind.Hold, RideWallets.Hold(ride), Of(slot, ride).Hold, null);
        }
    }

    public async Task PayAsync(int slot, int ride)
    {
        var fare = Of(slot, ride);
        var reference = RideWallets.Payment(slot, ride);
        await ApplyInTransactionAsync(wallets.Rider(slot), MovementKind.Capture, $"{reference}:capture", fare.Amount, RideWallets.Hold(ride));
        await ApplyInTransactionAsync(wallets.Driver(slot), MovementKind.Credit, $"{reference}:driver", fare.DriverShare, null);
        await ApplyInTransactionAsync(wallets.Platform, MovementKind.Credit, $"{reference}:commission", fare.Commission, null);
    }

    public async Task<long> PlatformBalanceAsync()
    {
        await using var balance = dataSource.CreateCommand("select balance from wallets where id = $1");
        balance.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wallets.Platform });
        return (long)(await balance.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <summary>
    /// One movement as a plain transaction: lock the wallet row and read its balances (and the hold a capture
    /// closes), compute the movement as the wallet grain would, send the store's statement, commit.
    /// </summary>
    private async Task ApplyInTransactionAsync(string walletId, MovementKind kind, string reference, long amount, string? holdReference)
    {
        // A wallet's first movement has no row to lock: of concurrent first writers one inserts it, the others retry.
        while (!await TryApplyInTransactionAsync(walletId, kind, reference, amount, holdReference))
        {
        }
    }

    private async Task<bool> TryApplyInTransactionAsync(string walletId, MovementKind kind, string reference, long amount, string? holdReference)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        long balance = 0, held = 0, version = 0, holdAmount = 0;
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            var wallet = new NpgsqlBatchCommand("select balance, held, version from wallets where id = $1 for update");
            wallet.Parameters.Add(new NpgsqlParameter<string> { TypedValue = walletId });
            var hold = new NpgsqlBatchCommand("select amount from wallet_holds where wallet_id = $1 and reference = $2");
            hold.Parameters.Add(new NpgsqlParameter<string> { TypedValue = walletId });
            hold.Parameters.Add(new NpgsqlParameter<string> { TypedValue = holdReference ?? "" });
            read.BatchCommands.Add(wallet);
            read.BatchCommands.Add(hold);
            await using var reader = await read.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                (balance, held, version) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }
            await reader.NextResultAsync();
            if (await reader.ReadAsync())
            {
                holdAmount = reader.GetInt64(0);
            }
        }
        HoldRecord? opened = null;
        string? closed = null;
        switch (kind)
        {
            case MovementKind.TopUp or MovementKind.Credit:
                balance += amount;
                break;
            case MovementKind.Hold:
                held += amount;
                opened = new HoldRecord(reference, Eur(amount));
                break;
            case MovementKind.Capture:
                balance -= amount;
                held -= holdAmount;
                closed = holdReference;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "The scenario only tops up, holds, captures and credits.");
        }
        var write = WriteOf(walletId, kind, reference, amount, holdReference, balance, held, version + 1, opened, closed);
        await using (var apply = PostgresLedgerStore.CreateApplyCommand(walletId, version, [write]))
        {
            apply.Connection = connection;
            apply.Transaction = transaction;
            await apply.PrepareAsync(); // as the store does
            if ((long)(await apply.ExecuteScalarAsync())! != 1)
            {
                if (version == 0)
                {
                    return false;
                }
                throw new InvalidOperationException($"The baseline's write of {reference} to {walletId} was not applied although its row was locked.");
            }
        }
        await transaction.CommitAsync();
        return true;
    }

    /// <summary>The movement and entries the wallet grain writes for the same operation.</summary>
    private static LedgerWrite WriteOf(string walletId, MovementKind kind, string reference, long amount, string? related,
        long balanceAfter, long heldAfter, long version, HoldRecord? opened, string? closed)
    {
        var at = DateTimeOffset.UtcNow;
        var movement = new WalletMovement(walletId, reference, kind, Eur(amount), related, Eur(balanceAfter), Eur(heldAfter), version, at);
        var delta = movement.BalanceDelta;
        IReadOnlyList<LedgerEntry> entries = delta == 0
            ? []
            : [
                new LedgerEntry(walletId, reference, kind, delta, "EUR", at),
                new LedgerEntry(Counter, $"{walletId}/{reference}", kind, -delta, "EUR", at),
            ];
        return new LedgerWrite(movement, entries, opened, closed);
    }
}
