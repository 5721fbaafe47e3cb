using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using Orleans.Runtime;

namespace Atlas.Grains.Tests.Cluster;

/// <summary>A grain that calls ride grains on another silo and reports what it caught, and where it ran.</summary>
public interface IRemoteCallerGrain : IGrainWithStringKey
{
    /// <summary>Cancels the ride as its rider, catching <see cref="IllegalRideTransitionException"/>.</summary>
    Task<Caught<IllegalRideTransitionException>> CancelRide(string rideId, string riderId);

    /// <summary>Debits the wallet, catching <see cref="InsufficientFundsException"/>.</summary>
    Task<Caught<InsufficientFundsException>> Debit(string walletId, string reference, Money amount);
}

/// <summary>The exception a grain caught (null if the call succeeded) and the silo the grain ran on.</summary>
[GenerateSerializer, Immutable, Alias("atlas.tests.Caught`1")]
public sealed record Caught<T>([property: Id(0)] T? Exception, [property: Id(1)] SiloAddress CallerSilo) where T : Exception;

public sealed class RemoteCallerGrain(ILocalSiloDetails silo) : Grain, IRemoteCallerGrain
{
    private SiloAddress Silo => silo.SiloAddress;

    public async Task<Caught<IllegalRideTransitionException>> CancelRide(string rideId, string riderId)
    {
        try
        {
            await GrainFactory.GetGrain<IOrderGrain>(rideId).Cancel(RideActor.Rider, riderId, "test");
            return new(null, Silo);
        }
        catch (IllegalRideTransitionException exception)
        {
            return new(exception, Silo);
        }
    }

    public async Task<Caught<InsufficientFundsException>> Debit(string walletId, string reference, Money amount)
    {
        try
        {
            await GrainFactory.GetGrain<IWalletGrain>(walletId).Debit(reference, amount);
            return new(null, Silo);
        }
        catch (InsufficientFundsException exception)
        {
            return new(exception, Silo);
        }
    }
}
