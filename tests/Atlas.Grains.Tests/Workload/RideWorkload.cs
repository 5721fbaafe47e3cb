using System.Collections.Concurrent;
using Atlas.Grains.Common;
using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Workload;

/// <summary>
/// Riders and drivers acting at random on a cluster: riders request rides and sometimes cancel; drivers accept,
/// decline or ignore offers (letting them time out), drive rides to the end or cancel them. Every call is retried
/// while a silo failure is being detected, as an app would.
/// </summary>
public sealed class RideWorkload(IGrainFactory grains, int riders, int drivers, int ridesPerRider, int seed)
{
    private readonly RideScenario _scenario = new(grains);
    private readonly Random _random = new(seed);
    private readonly GeoPoint _center = new(-33.8688 + seed % 7, 151.2093);
    private readonly ConcurrentBag<string> _rides = [];
    private readonly string[] _riderIds = Enumerable.Range(0, riders).Select(i => $"wl{seed}-rider-{i}").ToArray();
    private readonly string[] _driverIds = Enumerable.Range(0, drivers).Select(i => $"wl{seed}-driver-{i}").ToArray();

    public long TopUps { get; private set; }

    public IReadOnlyCollection<string> Rides => _rides;

    /// <summary>The wallets of the workload's riders and drivers.</summary>
    public IEnumerable<string> UserWalletIds => _riderIds.Concat(_driverIds).Select(Atlas.Grains.Wallets.WalletIds.ForUser);

    /// <summary>
    /// Whether a ledger reference belongs to one of the workload's rides: <c>ride:{ride}:…</c> on a wallet,
    /// <c>{wallet}/ride:{ride}:…</c> on a counter account.
    /// </summary>
    public bool IsOwnReference(string reference) => reference.Contains($"ride:wl{seed}-", StringComparison.Ordinal);

    /// <summary>Raised once when half the rides have been created (to kill a silo then, say).</summary>
    public Func<Task>? AtHalfway { get; set; }

    public async Task RunAsync()
    {
        foreach (var rider in _riderIds)
        {
            await Retry(() => _scenario.Wallet(rider).TopUp($"topup-{rider}", Eur(200_000)));
            TopUps += 200_000;
        }
        foreach (var driver in _driverIds)
        {
            await Retry(async () => await _scenario.OnlineDriverAsync(Near(2_000), id: driver));
        }
        using var stop = new CancellationTokenSource();
        var driving = Task.WhenAll(_driverIds.Select(d => Task.Run(() => DriveAsync(d, stop.Token))));
        var riding = Task.WhenAll(_riderIds.Select(r => Task.Run(() => RideAsync(r))));
        if (await Task.WhenAny(riding, driving) == driving)
        {
            await driving; // drivers stop only when told: one failed, and its rides would wait for it in vain
        }
        await riding;
        await stop.CancelAsync();
        await driving;
    }

    private int _created;
    private int _halfwayRaised;

    private async Task RideAsync(string riderId)
    {
        for (var n = 0; n < ridesPerRider; n++)
        {
            var rideId = $"{riderId}-ride-{n}";
            // One request, retried as it is: a create that reached the ride before a silo died must match its retry.
            var request = new RideRequest(riderId, Near(1_000), Near(4_000), "economy");
            await Retry(() => _scenario.Ride(rideId).Create(request));
            _rides.Add(rideId);
            if (Interlocked.Increment(ref _created) == riders * ridesPerRider / 2 && Interlocked.Exchange(ref _halfwayRaised, 1) == 0 && AtHalfway is { } halfway)
            {
                await halfway();
            }
            await Attempt(() => _scenario.Ride(rideId).RequestDriver());
            var plan = Roll();
            if (plan < 0.08)
            {
                await Attempt(() => _scenario.Ride(rideId).Cancel(RideActor.Rider, riderId, "rider changed their mind"));
            }
            else if (plan < 0.16)
            {
                await WaitAsync(rideId, r => r.Status != RideStatus.Created && r.Status != RideStatus.Matched);
                await Attempt(() => _scenario.Ride(rideId).Cancel(RideActor.Rider, riderId, "rider cancelled at pickup"));
            }
            await WaitAsync(rideId, r => RideTransitions.IsTerminal(r.Status));
        }
    }

    private async Task DriveAsync(string driverId, CancellationToken stop)
    {
        var lastPing = DateTime.UtcNow;
        while (!stop.IsCancellationRequested)
        {
            if (DateTime.UtcNow - lastPing > TimeSpan.FromSeconds(2))
            {
                lastPing = DateTime.UtcNow;
                await Attempt(() => _scenario.Driver(driverId).UpdateLocation(Near(2_000), DateTimeOffset.UtcNow));
            }
            var offer = await Attempt(() => _scenario.Driver(driverId).GetOffer());
            if (offer is not null)
            {
                var choice = Roll();
                if (choice < 0.12)
                {
                    await Attempt(() => _scenario.Ride(offer.RideId).DeclineOffer(driverId));
                }
                else if (choice < 0.20)
                {
                    await Task.Delay(TimeSpan.FromSeconds(4), CancellationToken.None); // let it time out
                }
                else if (await Attempt(() => _scenario.Ride(offer.RideId).AcceptOffer(driverId)) is { Status: RideStatus.Matched })
                {
                    await CompleteAsync(driverId, offer.RideId);
                }
            }
            await Task.Delay(30, CancellationToken.None);
        }
    }

    private async Task CompleteAsync(string driverId, string rideId)
    {
        var ride = _scenario.Ride(rideId);
        if (Roll() < 0.05)
        {
            await Attempt(() => ride.Cancel(RideActor.Driver, driverId, "driver cancelled"));
            return;
        }
        if (await Attempt(() => ride.MarkArrived(driverId)) is null)
        {
            return;
        }
        await Task.Delay(50);
        if (await Attempt(() => ride.StartTrip(driverId)) is null)
        {
            return;
        }
        for (var i = 0; i < 3; i++)
        {
            await Attempt(() => _scenario.Driver(driverId).UpdateLocation(Near(3_000), DateTimeOffset.UtcNow));
        }
        await Attempt(() => ride.FinishTrip(driverId));
    }

    private async Task WaitAsync(string rideId, Func<RideView, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var ride = await Retry(() => _scenario.Ride(rideId).Get());
            if (condition(ride))
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Ride {rideId} did not settle in time: {ride.Status}, driver {ride.DriverId}, offered {ride.OfferedDriverId} " +
                                           $"until {ride.OfferExpiresAt:O}; {string.Join(" | ", ride.Timeline.Select(e => $"{e.At:HH:mm:ss.fff} {e.Name} {e.Detail}"))}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Calls, retrying while a silo's failure is detected; a domain refusal ends the attempt (null).</summary>
    private static async Task<T?> Attempt<T>(Func<Task<T>> call)
    {
        try
        {
            return await Retry(call);
        }
        catch (DomainException)
        {
            return default;
        }
    }

    private static async Task<bool> Attempt(Func<Task> call) => await Attempt(async () =>
    {
        await call();
        return true;
    });

    public static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (IsTransient(exception) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// What a silo's death causes until it is detected: calls to or through it rejected, sent to its gateway while the
    /// client still lists it (connection failed), lost (timed out), or refused by
    /// an activation that is no longer the writer of its state; and Orleans' in-memory reminder table, on the dying silo
    /// that owned a reminder's range, refusing to register or remove it.
    /// </summary>
    private static bool IsTransient(Exception exception) =>
        exception is OrleansMessageRejectionException or ConnectionFailedException or InconsistentStateException or TimeoutException
            or InvalidOperationException { Message: "The reminder service is not currently available." };

    private static async Task Retry(Func<Task> call) => await Retry(async () =>
    {
        await call();
        return true;
    });

    private double Roll()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    private GeoPoint Near(double meters)
    {
        lock (_random)
        {
            return Offset(_center, (_random.NextDouble() - 0.5) * meters, (_random.NextDouble() - 0.5) * meters);
        }
    }
}
