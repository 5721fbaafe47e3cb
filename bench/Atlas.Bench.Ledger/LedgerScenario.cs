using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Atlas.Actors;
using Atlas.Actors.Hosting;
using Atlas.Grains.Hosting;
using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Atlas.Bench.Ledger;

/// <summary>
/// The "ledger" benchmark: finished-ride payments per second. A payment is what a finished ride's outbox delivers, in
/// order: a capture on the rider's wallet (its hold placed beforehand, outside the measured part), a credit to the
/// driver's wallet and a credit to the ONE platform wallet, which every payment touches: the hot spot.
/// <para>
/// Atlas: through the wallet grains on an embedded silo with the PostgreSQL ledger. Baseline, in the same run: plain
/// PostgreSQL transactions doing the same rows — per movement <c>BEGIN</c>, <c>SELECT … FOR UPDATE</c> of the wallet
/// row, the very statement <see cref="PostgresLedgerStore"/> issues, <c>COMMIT</c> — with the same pool size and the
/// same number of rides in flight.
/// </para>
/// </summary>
public static class LedgerScenario
{
    /// <summary>Rides paying at the same time, each with its own rider and driver.</summary>
    public const int InFlight = 256;

    /// <summary>PostgreSQL connections, on both sides.</summary>
    public const int PoolSize = 32;

    /// <summary>The ratio atlas/baseline of payments per second the platform must reach.</summary>
    public const double Target = 0.5;

    private const string Counter = CounterAccounts.RideClearing;

    /// <summary>Runs the scenario on the PostgreSQL server of <c>ATLAS_TEST_POSTGRES</c>.</summary>
    public static Task<JsonObject> RunAsync(bool quick, TextWriter progress) =>
        RunAsync(quick, progress, Environment.GetEnvironmentVariable("ATLAS_TEST_POSTGRES") is { Length: > 0 } connectionString
            ? connectionString
            : throw new InvalidOperationException("The ledger benchmark needs PostgreSQL: set ATLAS_TEST_POSTGRES (eval \"$(bash scripts/services.sh env)\") or pass a connection string."));

    /// <summary>Runs the scenario on the PostgreSQL server of <paramref name="connectionString"/>; returns the result line.</summary>
    public static async Task<JsonObject> RunAsync(bool quick, TextWriter progress, string connectionString)
    {
        var plan = quick ? new Plan(WarmupRides: 1, MeasuredRides: 4) : new Plan(WarmupRides: 2, MeasuredRides: 30);
        var pooled = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = PoolSize, MinPoolSize = 0 }.ConnectionString;
        var run = Guid.NewGuid().ToString("N")[..8];
        await using (var schema = NpgsqlDataSource.Create(pooled))
        {
            await Atlas.Actors.Postgres.PostgresMigrations.ApplyAsync(schema, PostgresLedgerSchema.Migrations);
        }
        Report(progress, $"ledger: {InFlight} rides in flight, {plan.MeasuredRides} measured payments per ride slot ({InFlight * plan.MeasuredRides} per side), pool {PoolSize}, run {run}");

        var atlas = await RunAtlasAsync(plan, pooled, $"bench-{run}-atlas", progress);
        var baseline = await RunBaselineAsync(plan, pooled, $"bench-{run}-sql", progress);

        var ratio = atlas.PaymentsPerSecond / baseline.PaymentsPerSecond;
        return new JsonObject
        {
            ["scenario"] = "ledger",
            ["quick"] = quick,
            ["atlas"] = atlas.ToJson(),
            ["baseline"] = baseline.ToJson(),
            ["ratio"] = Math.Round(ratio, 3),
            ["target"] = $">= {Target.ToString(CultureInfo.InvariantCulture)}",
            ["met"] = ratio >= Target,
        };
    }

    private sealed record Plan(int WarmupRides, int MeasuredRides)
    {
        public int Rides => WarmupRides + MeasuredRides;
    }

    /// <summary>One ride's money: the fare, the hold placed before it, the driver's share and the platform's commission.</summary>
    private readonly record struct Fare(long Amount, long Hold, long DriverShare, long Commission)
    {
        public static Fare Of(int slot, int ride)
        {
            var amount = 1_000 + (slot * 7 + ride * 13) % 1_500;
            var driverShare = amount * 80 / 100;
            return new Fare(amount, amount * 125 / 100, driverShare, amount - driverShare);
        }
    }

    private sealed record Measurement(int Payments, TimeSpan Elapsed, double[] LatenciesMs)
    {
        public double PaymentsPerSecond => Payments / Elapsed.TotalSeconds;

        public JsonObject ToJson() => new()
        {
            ["payments_per_s"] = Math.Round(PaymentsPerSecond, 1),
            ["p50_ms"] = Math.Round(Percentile(0.50), 2),
            ["p99_ms"] = Math.Round(Percentile(0.99), 2),
        };

        private double Percentile(double p) => LatenciesMs[Math.Min(LatenciesMs.Length - 1, (int)Math.Ceiling(p * LatenciesMs.Length) - 1)];
    }

    private static string Rider(string prefix, int slot) => WalletIds.ForUser($"{prefix}-rider-{slot}");

    private static string Driver(string prefix, int slot) => WalletIds.ForUser($"{prefix}-driver-{slot}");

    private static string Platform(string prefix) => $"platform:{prefix}";

    private static Money Eur(long minor) => new(minor, Currency.Eur);

    // ---- Atlas: the wallet grains ----------------------------------------------------------------------------

    private static async Task<Measurement> RunAtlasAsync(Plan plan, string connectionString, string prefix, TextWriter progress)
    {
        var services = new ServiceCollection();
        services.AddAtlasSiloWithoutHost(silo => silo.UseInMemoryClustering().AddMemoryGrainStorageAsDefault());
        services.AddPostgresLedger(connectionString);
        services.AddAtlasGrains();
        await using var provider = services.BuildServiceProvider();
        var silo = provider.GetRequiredService<Silo>();
        await silo.StartAsync();
        try
        {
            var grains = silo.GrainFactory;
            Report(progress, $"atlas: placing {InFlight * plan.Rides} holds through the wallet grains");
            await Parallel.ForEachAsync(Enumerable.Range(0, InFlight), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (slot, _) =>
            {
                var rider = grains.GetGrain<IWalletGrain>(Rider(prefix, slot));
                await rider.TopUp("top-up", Eur(Enumerable.Range(0, plan.Rides).Sum(r => Fare.Of(slot, r).Hold)));
                for (var ride = 0; ride < plan.Rides; ride++)
                {
                    await rider.Hold($"hold-{ride}", Eur(Fare.Of(slot, ride).Hold));
                }
            });

            var platform = grains.GetGrain<IWalletGrain>(Platform(prefix));
            async Task PayAsync(int slot, int ride)
            {
                var fare = Fare.Of(slot, ride);
                var reference = $"ride-{slot}-{ride}";
                await grains.GetGrain<IWalletGrain>(Rider(prefix, slot)).Capture($"{reference}:capture", $"hold-{ride}", Eur(fare.Amount));
                await grains.GetGrain<IWalletGrain>(Driver(prefix, slot)).Credit($"{reference}:driver", Eur(fare.DriverShare));
                await platform.Credit($"{reference}:commission", Eur(fare.Commission));
            }

            var measurement = await MeasureAsync("atlas", plan, PayAsync, progress);
            await CheckAsync("atlas", plan, measurement, (await platform.GetBalance()).Balance.Minor, progress);
            return measurement;
        }
        finally
        {
            await silo.StopAsync();
        }
    }

    // ---- Baseline: plain PostgreSQL transactions --------------------------------------------------------------

    private static async Task<Measurement> RunBaselineAsync(Plan plan, string connectionString, string prefix, TextWriter progress)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        Report(progress, $"baseline: placing {InFlight * plan.Rides} holds with plain transactions");
        await Parallel.ForEachAsync(Enumerable.Range(0, InFlight), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (slot, _) =>
        {
            var rider = Rider(prefix, slot);
            await ApplyInTransactionAsync(dataSource, rider, MovementKind.TopUp, "top-up", Enumerable.Range(0, plan.Rides).Sum(r => Fare.Of(slot, r).Hold), null);
            for (var ride = 0; ride < plan.Rides; ride++)
            {
                await ApplyInTransactionAsync(dataSource, rider, MovementKind.Hold, $"hold-{ride}", Fare.Of(slot, ride).Hold, null);
            }
        });

        var platform = Platform(prefix);
        async Task PayAsync(int slot, int ride)
        {
            var fare = Fare.Of(slot, ride);
            var reference = $"ride-{slot}-{ride}";
            await ApplyInTransactionAsync(dataSource, Rider(prefix, slot), MovementKind.Capture, $"{reference}:capture", fare.Amount, $"hold-{ride}");
            await ApplyInTransactionAsync(dataSource, Driver(prefix, slot), MovementKind.Credit, $"{reference}:driver", fare.DriverShare, null);
            await ApplyInTransactionAsync(dataSource, platform, MovementKind.Credit, $"{reference}:commission", fare.Commission, null);
        }

        var measurement = await MeasureAsync("baseline", plan, PayAsync, progress);
        await using var balance = dataSource.CreateCommand($"select balance from wallets where id = '{platform}'");
        await CheckAsync("baseline", plan, measurement, (long)(await balance.ExecuteScalarAsync())!, progress);
        return measurement;
    }

    /// <summary>
    /// One movement as a plain transaction: lock the wallet row and read its balances (and the hold a capture
    /// closes), compute the movement as the wallet grain would, send the store's statement, commit.
    /// </summary>
    private static async Task ApplyInTransactionAsync(NpgsqlDataSource dataSource, string walletId, MovementKind kind, string reference, long amount, string? holdReference)
    {
        // A wallet's first movement has no row to lock: of concurrent first writers one inserts it, the others retry.
        while (!await TryApplyInTransactionAsync(dataSource, walletId, kind, reference, amount, holdReference))
        {
        }
    }

    private static async Task<bool> TryApplyInTransactionAsync(NpgsqlDataSource dataSource, string walletId, MovementKind kind, string reference, long amount, string? holdReference)
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

    // ---- Measuring ---------------------------------------------------------------------------------------------

    private static async Task<Measurement> MeasureAsync(string side, Plan plan, Func<int, int, Task> pay, TextWriter progress)
    {
        Report(progress, $"{side}: warming up ({InFlight * plan.WarmupRides} payments)");
        await Parallel.ForEachAsync(Enumerable.Range(0, InFlight), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (slot, _) =>
        {
            for (var ride = 0; ride < plan.WarmupRides; ride++)
            {
                await pay(slot, ride);
            }
        });

        Report(progress, $"{side}: measuring {InFlight * plan.MeasuredRides} payments");
        var latencies = new double[InFlight * plan.MeasuredRides];
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, InFlight), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (slot, _) =>
        {
            for (var i = 0; i < plan.MeasuredRides; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await pay(slot, plan.WarmupRides + i);
                latencies[slot * plan.MeasuredRides + i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        });
        stopwatch.Stop();
        Array.Sort(latencies);
        var measurement = new Measurement(latencies.Length, stopwatch.Elapsed, latencies);
        Report(progress, $"{side}: {measurement.PaymentsPerSecond:0} payments/s in {stopwatch.Elapsed.TotalSeconds:0.0} s, {measurement.ToJson().ToJsonString()}");
        return measurement;
    }

    /// <summary>The platform wallet received every commission exactly once.</summary>
    private static Task CheckAsync(string side, Plan plan, Measurement measurement, long platformBalance, TextWriter progress)
    {
        var expected = Enumerable.Range(0, InFlight).SelectMany(slot => Enumerable.Range(0, plan.Rides).Select(ride => Fare.Of(slot, ride).Commission)).Sum();
        if (platformBalance != expected)
        {
            throw new InvalidOperationException($"{side}: the platform wallet holds {platformBalance}, the commissions of {measurement.Payments} payments make {expected}.");
        }
        Report(progress, $"{side}: platform wallet checked ({platformBalance} = the sum of every commission)");
        return Task.CompletedTask;
    }

    private static void Report(TextWriter progress, string line)
    {
        progress.WriteLine(line);
        progress.Flush();
    }
}
