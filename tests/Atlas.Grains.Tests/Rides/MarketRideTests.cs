using Atlas.Grains.Drivers;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

/// <summary>
/// Rides of a cash city that assigns at once (<c>cashtown</c>: motorbike rides, credit limit 100 cents): matched without
/// an offer, nothing held from the rider, the commission reserved on the driver's wallet and taken at the end, the
/// ledger balanced; a driver whose wallet cannot take the next commission gets no cash ride until a top-up.
/// </summary>
[Collection(RidesCollection.Name)]
public sealed class MarketRideTests(RidesFixture fixture)
{
    private const string City = "cashtown";

    private readonly RideScenario _scenario = fixture.Scenario();

    private static readonly FarePolicy Moto = MarketCatalog.BuiltIn.City(null).VehicleClass("moto").Fare;

    /// <summary>A point of its own, far from every other test's.</summary>
    private static GeoPoint Somewhere() => new(Random.Shared.Next(-50, 50) + Random.Shared.NextDouble() * 0.5, Random.Shared.Next(-170, 170) + Random.Shared.NextDouble() * 0.5);

    private async Task<string> MotoDriverAsync(GeoPoint at)
    {
        var id = NewId("driver");
        await _scenario.Driver(id).Register(new DriverRegistration(id, "go-ride", City));
        await _scenario.Driver(id).UpdateLocation(at, DateTimeOffset.UtcNow);
        await _scenario.Driver(id).GoOnline();
        await _scenario.WaitUntilIndexedAsync(id, at, "moto");
        return id;
    }

    private async Task<RideView> RequestAsync(GeoPoint pickup)
    {
        var ride = await _scenario.Ride(NewId("ride")).Create(new RideRequest(NewId("rider"), pickup, Offset(pickup, 2_000, 1_000), City: City));
        Assert.Equal((PaymentMethod.Cash, DispatchMode.Assign, "moto"), (ride.PaymentMethod, ride.DispatchMode, ride.VehicleClass));
        return await _scenario.Ride(ride.RideId).RequestDriver();
    }

    private async Task<RideView> FinishAsync(RideView ride)
    {
        await _scenario.Ride(ride.RideId).StartTrip(ride.DriverId!);
        await _scenario.Ride(ride.RideId).FinishTrip(ride.DriverId!);
        return await _scenario.WaitForRideAsync(ride.RideId, r => r.PaymentSettled, what: "the commission settled");
    }

    /// <summary>Every entry the ride's movements wrote, on every account.</summary>
    private async Task<LedgerEntry[]> EntriesOfAsync(RideView ride) =>
        (await Task.WhenAll(new[] { WalletIds.ForUser(ride.DriverId!), WalletIds.ForUser(ride.RiderId), WalletIds.Platform, CounterAccounts.RideClearing }
            .Select(account => fixture.Ledger.ReadEntriesAsync(account))))
            .SelectMany(e => e)
            .Where(e => e.Reference.Contains($"ride:{ride.RideId}:", StringComparison.Ordinal))
            .ToArray();

    [Fact]
    public async Task A_cash_ride_is_assigned_at_once_and_its_commission_moves_from_the_driver_to_the_platform_balanced()
    {
        var pickup = Somewhere();
        var near = await MotoDriverAsync(Offset(pickup, 100, 0));
        await MotoDriverAsync(Offset(pickup, 800, 0));

        var ride = await RequestAsync(pickup);

        Assert.Equal((RideStatus.Matched, near, (Money?)null), (ride.Status, ride.DriverId, ride.HeldAmount));
        Assert.Equal(DriverStatus.OnTrip, (await _scenario.Driver(near).GetSnapshot()).Status);
        var reserve = Assert.Single(await _scenario.Wallet(near).GetMovements(0, 10));
        Assert.Equal((MovementKind.Hold, FareCalculator.Split(ride.MaxFare!.Value, Moto).PlatformCommission, Eur(100)),
            (reserve.Kind, reserve.Amount, reserve.CreditLimit!.Value));

        var paid = await FinishAsync(ride);

        var commission = FareCalculator.Split(paid.Charged!.Value, Moto).PlatformCommission;
        var driver = await _scenario.Wallet(near).GetBalance();
        Assert.Equal((-commission, Eur(0)), (driver.Balance, driver.Held));
        Assert.Equal(0, (await _scenario.Wallet(paid.RiderId).GetBalance()).Version); // the rider paid the driver in cash
        var entries = await EntriesOfAsync(paid);
        Assert.Equal(0, entries.Sum(e => e.AmountMinor));
        Assert.Equal(-commission.Minor, entries.Where(e => e.Account == WalletIds.ForUser(near)).Sum(e => e.AmountMinor));
        Assert.Equal(commission.Minor, entries.Where(e => e.Account == WalletIds.Platform).Sum(e => e.AmountMinor));
        // Replaying the driver's entries gives the driver's balance.
        Assert.Equal(driver.Balance.Minor, (await fixture.Ledger.ReadEntriesAsync(WalletIds.ForUser(near))).Sum(e => e.AmountMinor));
    }

    [Fact]
    public async Task A_driver_whose_wallet_cannot_take_the_next_commission_is_skipped_until_a_top_up()
    {
        var pickup = Somewhere();
        var indebted = await MotoDriverAsync(Offset(pickup, 100, 0));
        await FinishAsync(await RequestAsync(pickup));
        var debt = -(await _scenario.Wallet(indebted).GetBalance()).Balance.Minor;
        Assert.InRange(debt, 1, 100);
        await _scenario.WaitUntilIndexedAsync(indebted, Offset(pickup, 100, 0), "moto");

        var alone = await RequestAsync(pickup);
        Assert.Equal(RideStatus.NoDriver, alone.Status);
        Assert.Equal((-debt, 0L), ((await _scenario.Wallet(indebted).GetBalance()).Balance.Minor, (await _scenario.Wallet(indebted).GetBalance()).Held.Minor));

        await _scenario.Wallet(indebted).TopUp(NewId("topup"), Eur(debt));
        var again = await RequestAsync(pickup);
        Assert.Equal((RideStatus.Matched, indebted), (again.Status, again.DriverId));
    }

    [Fact]
    public async Task A_cancelled_cash_ride_gives_the_commission_reserve_back()
    {
        var pickup = Somewhere();
        var driverId = await MotoDriverAsync(Offset(pickup, 100, 0));
        var ride = await RequestAsync(pickup);

        await _scenario.Ride(ride.RideId).Cancel(RideActor.Rider, ride.RiderId, "changed plans");

        var wallet = await _scenario.WaitForRideAsync(ride.RideId, r => r.PaymentSettled, what: "the reserve released");
        Assert.Equal(RideStatus.Cancelled, wallet.Status);
        var balance = await _scenario.Wallet(driverId).GetBalance();
        Assert.Equal((0L, 0L, 0), (balance.Balance.Minor, balance.Held.Minor, balance.OpenHolds));
        Assert.Equal([MovementKind.Hold, MovementKind.Release], (await _scenario.Wallet(driverId).GetMovements(0, 10)).Select(m => m.Kind));
    }

    [Fact]
    public async Task A_matched_trip_starts_without_arrived_and_finishes()
    {
        var pickup = Somewhere();
        var driverId = await MotoDriverAsync(Offset(pickup, 100, 0));
        var ride = await RequestAsync(pickup);

        var started = await _scenario.Ride(ride.RideId).StartTrip(driverId);
        var finished = await _scenario.Ride(ride.RideId).FinishTrip(driverId);

        Assert.Equal((RideStatus.Started, RideStatus.Finished), (started.Status, finished.Status));
        Assert.DoesNotContain(finished.Timeline, e => e.Name == "arrived");
    }
}
