using Atlas.Grains.Monetary;
using Atlas.Grains.Wallets;

namespace Atlas.Bench.WalletLedger;

/// <summary>
/// One side of the ledger scenario: wallets on PostgreSQL that finished rides pay into. Ride slot <c>s</c> has its own
/// rider and driver; every payment also credits the ONE platform wallet, the hot spot.
/// </summary>
internal interface IRidePayments : IAsyncDisposable
{
    /// <summary>Tops up the slot's rider and places one hold per ride, as ride requests do before the measured part.</summary>
    Task PrepareAsync(int slot, int rides);

    /// <summary>Pays a finished ride as its outbox delivers it, in order: capture on the rider, credit to the driver, credit to the platform.</summary>
    Task PayAsync(int slot, int ride);

    /// <summary>The platform wallet's balance, in minor units.</summary>
    Task<long> PlatformBalanceAsync();
}

/// <summary>One ride's money: the fare, the hold placed before it, the driver's share and the platform's commission.</summary>
internal readonly record struct RideFare(long Amount, long Hold, long DriverShare, long Commission)
{
    public static RideFare Of(int slot, int ride)
    {
        var amount = 1_000 + (slot * 7 + ride * 13) % 1_500;
        var driverShare = amount * 80 / 100;
        return new RideFare(amount, amount * 125 / 100, driverShare, amount - driverShare);
    }

    /// <summary>What the first <paramref name="rides"/> rides of one slot hold in total: the rider's top-up.</summary>
    public static long TopUp(int slot, int rides) => Enumerable.Range(0, rides).Sum(r => Of(slot, r).Hold);

    public static Money Eur(long minor) => new(minor, Currency.Eur);
}

/// <summary>The wallets of one side of one run (a prefix keeps runs and sides apart in the same database).</summary>
internal sealed record RideWallets(string Prefix)
{
    public string Rider(int slot) => WalletIds.ForUser($"{Prefix}-rider-{slot}");

    public string Driver(int slot) => WalletIds.ForUser($"{Prefix}-driver-{slot}");

    public string Platform => $"platform:{Prefix}";

    /// <summary>The references a payment's three movements carry (and a hold's).</summary>
    public static string Hold(int ride) => $"hold-{ride}";

    public static string Payment(int slot, int ride) => $"ride-{slot}-{ride}";
}
