using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;

namespace Atlas.Grains.Tests.Workload;

[Collection(RidesCollection.Name)]
public sealed class WorkloadTests(RidesFixture fixture)
{
    [Fact]
    public async Task A_random_workload_of_500_rides_conserves_money_and_pays_every_finished_ride_exactly_once()
    {
        var workload = new RideWorkload(fixture.GrainFactory, riders: 100, drivers: 40, ridesPerRider: 5, seed: 1);

        await workload.RunAsync();

        await AuditAsync(workload);
    }

    [Fact]
    public async Task The_same_holds_when_a_silo_is_killed_in_the_middle()
    {
        var workload = new RideWorkload(fixture.GrainFactory, riders: 100, drivers: 40, ridesPerRider: 5, seed: 2)
        {
            AtHalfway = fixture.KillSiloAsync,
        };
        try
        {
            await workload.RunAsync();

            Assert.Single(fixture.Cluster.Silos); // the other one was killed
            await AuditAsync(workload);
        }
        finally
        {
            await fixture.RestoreSilosAsync();
        }
    }

    /// <summary>
    /// The workload's own accounts: other tests share the cluster (and the platform's wallet), so money is counted over
    /// the workload's wallets and the entries of its rides.
    /// </summary>
    private async Task AuditAsync(RideWorkload workload)
    {
        var grains = fixture.GrainFactory;
        var ledger = fixture.Ledger;
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

        // Money is conserved: the workload's balances and the commissions of its rides together equal its top-ups.
        long total = 0;
        foreach (var walletId in workload.UserWalletIds)
        {
            var balance = await RideWorkload.Retry(() => grains.GetGrain<IWalletGrain>(walletId).GetBalance());
            Assert.True(balance.Balance.Minor >= 0, $"{walletId} is negative");
            Assert.Equal(0, balance.Held.Minor);
            Assert.Equal(balance.Balance.Minor, (await ledger.ReadEntriesAsync(walletId)).Sum(e => e.AmountMinor));
            total += balance.Balance.Minor;
        }
        var platform = (await ledger.ReadEntriesAsync(WalletIds.Platform)).Where(e => workload.IsOwnReference(e.Reference)).ToArray();
        total += platform.Sum(e => e.AmountMinor);
        Assert.Equal(workload.TopUps, total);
        var clearing = (await ledger.ReadEntriesAsync(CounterAccounts.RideClearing)).Where(e => workload.IsOwnReference(e.Reference));
        Assert.Equal(0, clearing.Sum(e => e.AmountMinor));

        // Every finished ride: exactly one capture and its two credits, which add up to it.
        foreach (var ride in rides.Where(r => r.Status == RideStatus.Finished))
        {
            var riderEntries = (await ledger.ReadEntriesAsync(WalletIds.ForUser(ride.RiderId))).Where(e => e.Reference == $"ride:{ride.RideId}:capture").ToArray();
            var driverEntries = (await ledger.ReadEntriesAsync(WalletIds.ForUser(ride.DriverId!))).Where(e => e.Reference == $"ride:{ride.RideId}:capture:driver").ToArray();
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
            var ride = await RideWorkload.Retry(() => fixture.GrainFactory.GetGrain<IOrderGrain>(rideId).Get());
            var settled = RideTransitions.IsTerminal(ride.Status) && (ride.HeldAmount is null || ride.PaymentSettled);
            if (settled || DateTime.UtcNow > deadline)
            {
                return ride;
            }
            await Task.Delay(100);
        }
    }
}
