using Atlas.Actors.Testing;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;

namespace Atlas.Grains.Tests.Workload;

public sealed class WorkloadTests : IAsyncLifetime
{
    private readonly InMemoryLedgerStore _ledger = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = RidesFixture.Configure(new TestClusterBuilder(3), _ledger, new InMemoryGeoIndexStore()).Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_random_workload_of_500_rides_conserves_money_and_pays_every_finished_ride_exactly_once()
    {
        var workload = new RideWorkload(_cluster.GrainFactory, riders: 100, drivers: 40, ridesPerRider: 5, seed: 1);

        await workload.RunAsync();

        await AuditAsync(workload);
    }

    [Fact]
    public async Task The_same_holds_when_a_silo_is_killed_in_the_middle()
    {
        var workload = new RideWorkload(_cluster.GrainFactory, riders: 100, drivers: 40, ridesPerRider: 5, seed: 2)
        {
            AtHalfway = () => _cluster.KillSiloAsync(_cluster.Silos[1]),
        };

        await workload.RunAsync();

        Assert.Equal(2, _cluster.Silos.Count);
        await AuditAsync(workload);
    }

    private async Task AuditAsync(RideWorkload workload)
    {
        var grains = _cluster.GrainFactory;
        // Every ride closed and every closed ride's payments acknowledged.
        var rides = new List<RideView>();
        foreach (var rideId in workload.Rides)
        {
            rides.Add(await WaitForSettledAsync(rideId));
        }
        Assert.Equal(500, rides.Count);
        Assert.All(rides, r => Assert.True(RideTransitions.IsTerminal(r.Status), $"{r.RideId} is {r.Status}"));
        Assert.Contains(rides, r => r.Status == RideStatus.Finished);
        Assert.Contains(rides, r => r.Status == RideStatus.Cancelled);

        // Money is conserved: every balance together equals every top-up.
        long total = 0;
        foreach (var walletId in workload.WalletIds)
        {
            var balance = await RideWorkload.Retry(() => grains.GetGrain<IWalletGrain>(walletId).GetBalance());
            Assert.True(balance.Balance.Minor >= 0, $"{walletId} is negative");
            Assert.Equal(0, balance.Held.Minor);
            Assert.Equal(balance.Balance.Minor, (await _ledger.ReadEntriesAsync(walletId)).Sum(e => e.AmountMinor));
            total += balance.Balance.Minor;
        }
        Assert.Equal(workload.TopUps, total);
        Assert.Equal(0, (await _ledger.ReadEntriesAsync(CounterAccounts.RideClearing)).Sum(e => e.AmountMinor));

        // Every finished ride: exactly one capture and its two credits, which add up to it.
        var platform = await _ledger.ReadEntriesAsync(WalletIds.Platform);
        foreach (var ride in rides.Where(r => r.Status == RideStatus.Finished))
        {
            var riderEntries = (await _ledger.ReadEntriesAsync(WalletIds.ForUser(ride.RiderId))).Where(e => e.Reference == $"ride:{ride.RideId}:capture").ToArray();
            var driverEntries = (await _ledger.ReadEntriesAsync(WalletIds.ForUser(ride.DriverId!))).Where(e => e.Reference == $"ride:{ride.RideId}:capture:driver").ToArray();
            var commission = platform.Where(e => e.Reference == $"ride:{ride.RideId}:capture:commission").ToArray();
            Assert.Single(riderEntries);
            Assert.Single(driverEntries);
            Assert.Single(commission);
            Assert.Equal(-ride.Charged!.Value.Minor, riderEntries[0].AmountMinor);
            Assert.Equal(ride.Charged.Value.Minor, driverEntries[0].AmountMinor + commission[0].AmountMinor);
        }
    }

    private async Task<RideView> WaitForSettledAsync(string rideId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var ride = await RideWorkload.Retry(() => _cluster.GrainFactory.GetGrain<IOrderGrain>(rideId).Get());
            var settled = RideTransitions.IsTerminal(ride.Status) && (ride.HeldAmount is null || ride.PaymentSettled);
            if (settled || DateTime.UtcNow > deadline)
            {
                return ride;
            }
            await Task.Delay(100);
        }
    }
}
