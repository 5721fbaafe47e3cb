using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Cluster;

/// <summary>
/// Domain exceptions cross silos as themselves: a grain on one silo catches, by its exact type and with every field, the
/// exception a grain on the other silo threw (Orleans would deliver a <c>CodecNotFoundException</c> for a type without a codec).
/// </summary>
[Collection(RidesCollection.Name)]
public sealed class CrossSiloExceptionTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    private (Orleans.Runtime.SiloAddress Caller, Orleans.Runtime.SiloAddress Callee) TwoSilos()
    {
        var silos = fixture.Cluster.Silos;
        Assert.True(silos.Count >= 2, "the test needs two silos");
        return (silos[0].SiloAddress, silos[1].SiloAddress);
    }

    [Fact]
    public async Task A_grain_on_another_silo_catches_an_illegal_ride_transition_with_its_states_and_actor()
    {
        var (callerSilo, rideSilo) = TwoSilos();
        var riderId = await _scenario.RiderWithFundsAsync();
        var pickup = new GeoPoint(-50 + Random.Shared.NextDouble(), -120 + Random.Shared.NextDouble()); // no driver near
        var ride = _scenario.Ride(NewId("ride"));
        await Placement.OnSilo(rideSilo, () => ride.Create(new RideRequest(riderId, pickup, Offset(pickup, 1_000, 0), "economy")));
        Assert.Equal(RideStatus.NoDriver, (await ride.RequestDriver()).Status);
        var caller = fixture.GrainFactory.GetGrain<IRemoteCallerGrain>(NewId("caller"));

        var caught = await Placement.OnSilo(callerSilo, () => caller.CancelRide(ride.GetPrimaryKeyString(), riderId));

        Assert.Equal(callerSilo, caught.CallerSilo);
        Assert.Equal(callerSilo, fixture.Cluster.SiloOf(caller));
        Assert.Equal(rideSilo, fixture.Cluster.SiloOf(ride));
        Assert.NotEqual(caught.CallerSilo, fixture.Cluster.SiloOf(ride));
        var error = Assert.IsType<IllegalRideTransitionException>(caught.Exception);
        Assert.Equal((RideStatus.NoDriver, RideStatus.Cancelled, RideActor.Rider), (error.From, error.To, error.Actor));
        Assert.Equal(new IllegalRideTransitionException(RideStatus.NoDriver, RideStatus.Cancelled, RideActor.Rider).Message, error.Message);
        Assert.Equal(RideStatus.NoDriver, (await ride.Get()).Status);
    }

    [Fact]
    public async Task A_grain_on_another_silo_catches_insufficient_funds_with_the_wallet_and_both_amounts()
    {
        var (callerSilo, walletSilo) = TwoSilos();
        var walletId = WalletIds.ForUser(NewId("remote"));
        var wallet = fixture.GrainFactory.GetGrain<IWalletGrain>(walletId);
        await Placement.OnSilo(walletSilo, () => wallet.TopUp("t", Eur(100)));
        var caller = fixture.GrainFactory.GetGrain<IRemoteCallerGrain>(NewId("caller"));

        var caught = await Placement.OnSilo(callerSilo, () => caller.Debit(walletId, "d", Eur(250)));

        Assert.Equal(callerSilo, caught.CallerSilo);
        Assert.Equal(callerSilo, fixture.Cluster.SiloOf(caller));
        Assert.Equal(walletSilo, fixture.Cluster.SiloOf(wallet));
        var error = Assert.IsType<InsufficientFundsException>(caught.Exception);
        Assert.Equal((walletId, Eur(250), Eur(100)), (error.WalletId, error.Requested, error.Available));
        Assert.Equal(new InsufficientFundsException(walletId, Eur(250), Eur(100)).Message, error.Message);
        Assert.Equal(Eur(100), (await wallet.GetBalance()).Balance);
    }
}
