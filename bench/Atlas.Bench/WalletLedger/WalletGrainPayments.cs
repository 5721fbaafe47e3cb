using Atlas.Bench.Silos;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using static Atlas.Bench.WalletLedger.RideFare;

namespace Atlas.Bench.WalletLedger;

/// <summary>Atlas's side: the wallet grains of an embedded Orleans silo (AddAtlasSilo) with the PostgreSQL ledger (<c>AddPostgresLedger</c>).</summary>
internal sealed class WalletGrainPayments(EmbeddedSilo silo, RideWallets wallets) : IRidePayments
{
    private readonly IWalletGrain _platform = silo.Grains.GetGrain<IWalletGrain>(wallets.Platform);

    public static async Task<WalletGrainPayments> StartAsync(string connectionString, RideWallets wallets)
    {
        // AddAtlasSilo registers the grains with an in-memory ledger; AddPostgresLedger replaces it.
        var silo = await EmbeddedSilo.StartAsync(builder => builder.Services.AddPostgresLedger(connectionString));
        return new WalletGrainPayments(silo, wallets);
    }

    public async Task PrepareAsync(int slot, int rides)
    {
        var rider = Wallet(wallets.Rider(slot));
        await rider.TopUp("top-up", Eur(TopUp(slot, rides)));
        for (var ride = 0; ride < rides; ride++)
        {
            await rider.Hold(RideWallets.Hold(ride), Eur(Of(slot, ride).Hold));
        }
    }

    public async Task PayAsync(int slot, int ride)
    {
        var fare = Of(slot, ride);
        var reference = RideWallets.Payment(slot, ride);
        await Wallet(wallets.Rider(slot)).Capture($"{reference}:capture", RideWallets.Hold(ride), Eur(fare.Amount));
        await Wallet(wallets.Driver(slot)).Credit($"{reference}:driver", Eur(fare.DriverShare));
        await _platform.Credit($"{reference}:commission", Eur(fare.Commission));
    }

    public async Task<long> PlatformBalanceAsync() => (await _platform.GetBalance()).Balance.Minor;

    public ValueTask DisposeAsync() => silo.DisposeAsync();

    private IWalletGrain Wallet(string id) => silo.Grains.GetGrain<IWalletGrain>(id);
}
