using System.Collections.Immutable;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Drivers;
using Atlas.Grains.Fares;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Riders;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Streams;
using Atlas.Grains.Surge;
using Atlas.Grains.Wallets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Rides;

/// <summary>
/// A ride. Its city (<see cref="MarketCatalog"/>) decides the vehicle class, how it finds a driver (offer or assign), how
/// the rider pays (wallet or cash) and whether it surges; the ride keeps what was decided at creation, so a change of
/// configuration never reprices or re-routes a ride under way.
/// Deadlines run on grain timers (an offer's time-out, payment retries), each backed by a durable reminder
/// (<see cref="DispatchOptions.BackstopPeriod"/>, Orleans' reminders are at least a minute apart) that carries the ride
/// on if its silo dies. Calls go one way only — ride → driver, ride → wallet, ride → rider (one-way) — so no call chain can
/// come back to a ride and deadlock. Every state change is stored before its effects are acknowledged; money moves
/// through the outbox: the instructions are stored with the status that causes them, a reminder retries them until
/// every wallet acknowledged, and their references make a retry harmless.
/// </summary>
public sealed partial class OrderGrain(
    [PersistentState("ride")] IPersistentState<OrderState> state,
    MarketCatalog markets,
    IOptions<DispatchOptions> dispatchOptions,
    IOptions<DriverOptions> driverOptions,
    IOptions<GeoIndexOptions> indexOptions,
    TimeProvider time,
    ILogger<OrderGrain> logger) : Grain, IOrderGrain
{
    private const string DispatchReminder = "dispatch";
    private const string OutboxReminder = "outbox";

    private readonly DispatchOptions _dispatch = dispatchOptions.Value;
    private IGrainTimer? _offerTimer;
    private IGrainTimer? _outboxTimer;

    private OrderState Ride => state.State;

    private string RideId => this.GetPrimaryKeyString();

    private DateTimeOffset Now => time.GetUtcNow();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Ride.Created && Ride.VehicleClass is null)
        {
            Ride.VehicleClass = Ride.LegacyVehicleType.ClassName(); // stored before classes came from configuration
        }
        if (Ride.Status == RideStatus.Created && Ride.Offer is { } offer)
        {
            ArmOfferTimer(offer.ExpiresAt); // the offer outlived the activation that made it (a silo died, or idle collection)
        }
        if (Ride.Outbox.Any(p => !p.Done) || Ride.PublishedEvents < Ride.Timeline.Count)
        {
            await DeliverOutboxAsync();
        }
    }

    // ---- Creation and dispatch ----------------------------------------------------------------------------

    public Task<RideView> Create(RideRequest request) => GuardAsync(() => CreateCore(request));

    private async Task<RideView> CreateCore(RideRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.RiderId, nameof(request.RiderId));
        var city = markets.City(request.City);
        var vehicleClass = city.VehicleClass(request.VehicleClass);
        var payment = city.PaymentMethod(request.PaymentMethod);
        if (Ride.Created)
        {
            return Ride.RiderId == request.RiderId && Ride.Pickup == request.Pickup && Ride.Dropoff == request.Dropoff &&
                   Ride.VehicleClass == vehicleClass.Name && Ride.City == city.Name && Ride.PaymentMethod == payment
                ? View()
                : throw new RideAlreadyExistsException(RideId);
        }
        // The multiplier shown in the estimate is the one the ride keeps: the rider never pays one they were not shown.
        var surge = city.Surge.Enabled ? await QuoteSurgeAsync(city.Name, request.Pickup) : null;
        var multiplier = surge?.MultiplierBasisPoints ?? SurgeMultiplier.None;
        var quote = FareCalculator.EstimateTrip(vehicleClass.Fare, request.Pickup, request.Dropoff, markets.AverageSpeedKmh);
        var estimate = SurgeMultiplier.Apply(quote.Fare, multiplier);

        Ride.Created = true;
        Ride.RiderId = request.RiderId;
        Ride.Pickup = request.Pickup;
        Ride.Dropoff = request.Dropoff;
        Ride.VehicleClass = vehicleClass.Name;
        Ride.City = city.Name;
        Ride.Policy = vehicleClass.Fare;
        Ride.PaymentMethod = payment;
        Ride.DispatchMode = city.Dispatch;
        Ride.SurgeBasisPoints = multiplier;
        Ride.Estimate = estimate;
        Ride.CreatedAt = Now;
        Record("created", RideActor.Rider, $"estimate {estimate} for {quote.DistanceMeters} m, {vehicleClass.Name}, {payment.ToWireName()}" +
            (surge is null ? "" : $", surge x{SurgeMultiplier.FromBasisPoints(multiplier)} ({surge.OpenRequests} open requests, {surge.AvailableDrivers} drivers)"));
        await SaveAsync();
        return View();
    }

    public Task<RideView> RequestDriver() => GuardAsync(() => RequestDriverCore());

    private async Task<RideView> RequestDriverCore()
    {
        RequireCreated();
        if (Ride.Status != RideStatus.Created)
        {
            return RideTransitions.IsTerminal(Ride.Status) ? throw new RideClosedException(RideId, Ride.Status) : View();
        }
        if (Ride.DriverRequested)
        {
            if (Ride.Offer is null)
            {
                // Requested, yet neither offered nor closed: the search failed part-way (a call failed, or the silo died
                // under it) and this is the caller's retry. Search again now rather than at the dispatch reminder's next
                // tick, which a silo that died as it registered the reminder can delay to Orleans' next reminder-table read.
                await DispatchNextAsync();
            }
            return View(); // already offering
        }

        // The most the rider pays, whatever the trip turns out to be: the estimate (surge included) plus the margin.
        var maxFare = Ride.Estimate + Ride.Estimate.ShareInBasisPoints(_dispatch.HoldMarginBasisPoints);
        string detail;
        if (Ride.PaymentMethod == PaymentMethod.Wallet)
        {
            var holdReference = $"ride:{RideId}:hold";
            await RiderWallet.Hold(holdReference, maxFare);
            Ride.HoldReference = holdReference;
            Ride.HeldAmount = maxFare;
            detail = $"held {maxFare}";
        }
        else
        {
            detail = $"cash, at most {maxFare}";
        }
        if (Ride.SurgeBasisPoints != SurgeMultiplier.None)
        {
            detail += $"; surge x{SurgeMultiplier.FromBasisPoints(Ride.SurgeBasisPoints)} locked";
        }

        // The reminder keeps the search alive across failures until the ride is matched or closed.
        await RegisterBackstopAsync(DispatchReminder);
        Ride.DriverRequested = true;
        Ride.MaxFare = maxFare;
        Record("requested", RideActor.Rider, detail);
        await SaveAsync();
        RideMetrics.Requested.Add(1);
        RideMetrics.Active.Add(1);
        if (markets.TryGetCity(Ride.City, out var city) && city.Surge.Enabled)
        {
            _ = SurgeCell(city.Name, Ride.Pickup).RecordRequest(RideId); // one-way: demand for the cell's next quotes
        }

        await DispatchNextAsync();
        return View();
    }

    /// <summary>
    /// Offers the ride to (or, in assign dispatch, matches it with) the nearest available driver who has not turned it
    /// down; for a cash ride, only one whose wallet takes the commission within the credit limit. Drivers claimed by other rides
    /// meanwhile are skipped and the search repeats without them, so a busy neighbourhood does not end the search
    /// early; only when no candidate is left within the largest radius does the ride close without a driver.
    /// </summary>
    private async Task DispatchNextAsync()
    {
        var search = new DriverSearch(GrainFactory, indexOptions.Value);
        var skipped = Ride.Declined.ToHashSet(StringComparer.Ordinal);
        var steps = new RadiusSteps(_dispatch.SearchRadiiMeters);
        for (var round = 0; round < MaxSearchRounds; round++)
        {
            var candidates = await search.FindNearestAsync(
                Ride.Pickup, Ride.VehicleClass!, _dispatch.CandidatesPerSearch, Now - driverOptions.Value.FreshnessWindow, steps, skipped);
            if (candidates.Count == 0)
            {
                break;
            }
            foreach (var candidate in candidates)
            {
                var taken = Ride.DispatchMode == DispatchMode.Assign
                    ? await TryAssignAsync(candidate.Id, candidate.DistanceMeters)
                    : await TryOfferAsync(candidate.Id, candidate.DistanceMeters);
                if (taken)
                {
                    return;
                }
                skipped.Add(candidate.Id); // taken by another ride, offline or stale
            }
        }

        await CloseWithoutDriverAsync();
    }

    private const int MaxSearchRounds = 20;

    private async Task<bool> TryOfferAsync(string driverId, double distanceMeters)
    {
        if (!await TryReserveCommissionAsync(driverId))
        {
            return false;
        }
        var offer = new RideOffer(RideId, Ride.VehicleClass!, Ride.Pickup, Ride.Dropoff, Ride.Estimate, Now + _dispatch.OfferTimeout, Ride.PaymentMethod);
        var driver = GrainFactory.GetGrain<IDriverGrain>(driverId);
        if (!await TryClaimAsync(driverId, () => driver.TryClaim(offer)))
        {
            DispatchMetrics.ClaimsRefused.Add(1);
            return false;
        }

        Ride.Offer = new PendingOffer(driverId, offer.ExpiresAt);
        Record("offered", RideActor.System, $"driver {driverId} at {distanceMeters:0} m, until {offer.ExpiresAt:O}");
        try
        {
            await SaveAsync();
        }
        catch
        {
            await TryReleaseAsync(driver);
            throw;
        }
        ArmOfferTimer(offer.ExpiresAt);
        LogOffered(RideId, driverId);
        DispatchMetrics.Offers.Add(1);
        return true;
    }

    /// <summary>Assign dispatch: the driver's single turn claims them and puts them on the ride at once.</summary>
    private async Task<bool> TryAssignAsync(string driverId, double distanceMeters)
    {
        if (!await TryReserveCommissionAsync(driverId))
        {
            return false;
        }
        var ride = new RideOffer(RideId, Ride.VehicleClass!, Ride.Pickup, Ride.Dropoff, Ride.Estimate, Now, Ride.PaymentMethod);
        var driver = GrainFactory.GetGrain<IDriverGrain>(driverId);
        if (!await TryClaimAsync(driverId, () => driver.TryAssign(ride)))
        {
            return false;
        }

        RideTransitions.Check(Ride.Status, RideStatus.Matched, RideActor.System);
        Ride.Status = RideStatus.Matched;
        Ride.DriverId = driverId;
        Record("matched", RideActor.System, $"driver {driverId} assigned at {distanceMeters:0} m");
        try
        {
            await SaveAsync();
        }
        catch
        {
            await TryCancelTripAsync(driver); // the ride stays unmatched in storage: free the driver for others
            throw;
        }
        DisarmOfferTimer();
        await UnregisterAsync(DispatchReminder);
        RideMetrics.Matched.Add(1);
        LogAssigned(RideId, driverId);
        return true;
    }

    /// <summary>Claims a candidate; if it cannot be had (taken, offline, stale, unreachable), gives up its commission reserve.</summary>
    private async Task<bool> TryClaimAsync(string driverId, Func<Task<bool>> claim)
    {
        bool claimed;
        try
        {
            claimed = await claim();
        }
        catch (Exception exception)
        {
            LogClaimFailed(RideId, driverId, exception);
            claimed = false;
        }
        if (!claimed)
        {
            await DropCommissionReserveAsync();
        }
        return claimed;
    }

    /// <summary>
    /// A cash ride reserves its largest possible commission on the candidate's wallet before the driver is claimed, so
    /// a driver whose wallet cannot take it within the city's credit limit is never offered the ride, and the
    /// commission taken at the end always fits. The reserve is stored before it is placed: after a crash it is released
    /// (a release of a hold never placed changes nothing).
    /// </summary>
    private async Task<bool> TryReserveCommissionAsync(string driverId)
    {
        await DropCommissionReserveAsync();
        if (Ride.PaymentMethod != PaymentMethod.Cash)
        {
            return true;
        }
        var commission = FareCalculator.Split(Ride.MaxFare ?? Ride.Estimate, Ride.Policy!).PlatformCommission;
        if (!commission.IsPositive)
        {
            return true;
        }
        var creditLimit = markets.TryGetCity(Ride.City, out var city) && city.Currency == commission.Currency
            ? city.DriverCreditLimit
            : new Money(0, commission.Currency);
        var reserve = new CommissionReserve(driverId, $"ride:{RideId}:reserve:{driverId}", commission);
        Ride.CommissionReserve = reserve;
        await SaveAsync();
        try
        {
            await WalletOf(driverId).HoldOnCredit(reserve.Reference, commission, creditLimit);
            return true;
        }
        catch (CreditLimitReachedException)
        {
            LogCreditLimitReached(RideId, driverId, commission.ToString());
        }
        catch (Exception exception)
        {
            LogClaimFailed(RideId, driverId, exception);
        }
        await DropCommissionReserveAsync();
        return false;
    }

    /// <summary>Gives back the commission reserved on a driver's wallet who does not take the ride (through the outbox).</summary>
    private async Task DropCommissionReserveAsync()
    {
        if (Ride.CommissionReserve is not { } reserve)
        {
            return;
        }
        Ride.CommissionReserve = null;
        await SchedulePaymentsAsync([new($"{reserve.Reference}:release", PaymentStep.Release, WalletIds.ForUser(reserve.DriverId), reserve.Amount, reserve.Reference)]);
        await SaveAsync();
        await DeliverOutboxAsync();
    }

    private async Task CloseWithoutDriverAsync()
    {
        RideTransitions.Check(Ride.Status, RideStatus.NoDriver, RideActor.System);
        Ride.Status = RideStatus.NoDriver;
        Ride.Offer = null;
        ReleaseCommissionReserveOnClose();
        Record("no_driver", RideActor.System, Ride.Declined.Count == 0 ? "no available driver nearby" : $"{Ride.Declined.Count} driver(s) declined or timed out");
        await ReleaseHoldAndCloseAsync();
        RideMetrics.NoDriver.Add(1);
        LogNoDriver(RideId);
    }

    public Task<RideView> AcceptOffer(string driverId) => GuardAsync(() => AcceptOfferCore(driverId));

    private async Task<RideView> AcceptOfferCore(string driverId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(driverId);
        RequireCreated();
        if (Ride.DriverId == driverId && Ride.Status is RideStatus.Matched or RideStatus.Arrived or RideStatus.Started)
        {
            return View();
        }
        if (Ride.Status != RideStatus.Created || Ride.Offer?.DriverId != driverId)
        {
            throw new OfferNotFoundException(RideId, driverId);
        }
        if (Now > Ride.Offer.ExpiresAt)
        {
            await ExpireOfferAsync();
            throw new OfferExpiredException(RideId, driverId);
        }

        await GrainFactory.GetGrain<IDriverGrain>(driverId).ConfirmTrip(RideId);
        RideTransitions.Check(Ride.Status, RideStatus.Matched, RideActor.System);
        Ride.Status = RideStatus.Matched;
        Ride.DriverId = driverId;
        Ride.Offer = null;
        Record("matched", RideActor.System, $"driver {driverId} accepted");
        await SaveAsync();
        DisarmOfferTimer();
        await UnregisterAsync(DispatchReminder);
        RideMetrics.Matched.Add(1);
        return View();
    }

    public Task<RideView> DeclineOffer(string driverId) => GuardAsync(() => DeclineOfferCore(driverId));

    private async Task<RideView> DeclineOfferCore(string driverId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(driverId);
        RequireCreated();
        if (Ride.Status != RideStatus.Created || Ride.Offer?.DriverId != driverId)
        {
            if (Ride.Declined.Contains(driverId))
            {
                if (Ride.Status == RideStatus.Created && Ride.DriverRequested && Ride.Offer is null)
                {
                    await DispatchNextAsync(); // the first decline's search failed part-way
                }
                return View(); // a repeated decline
            }
            throw new OfferNotFoundException(RideId, driverId);
        }
        await GrainFactory.GetGrain<IDriverGrain>(driverId).ReleaseOffer(RideId);
        Ride.Declined.Add(driverId);
        Ride.Offer = null;
        DispatchMetrics.Declined.Add(1);
        Record("declined", RideActor.Driver, $"driver {driverId}");
        await DropCommissionReserveAsync();
        await DispatchNextAsync();
        return View();
    }

    private async Task ExpireOfferAsync()
    {
        var offer = Ride.Offer!;
        await TryReleaseAsync(GrainFactory.GetGrain<IDriverGrain>(offer.DriverId));
        Ride.Declined.Add(offer.DriverId);
        Ride.Offer = null;
        DispatchMetrics.Expired.Add(1);
        Record("offer_expired", RideActor.System, $"driver {offer.DriverId} did not answer");
        await DropCommissionReserveAsync();
        await DispatchNextAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await GuardAsync(async () =>
        {
            switch (reminderName)
            {
                case DispatchReminder when Ride.Status == RideStatus.Created && Ride.DriverRequested:
                    await CheckDispatchAsync();
                    break;
                case DispatchReminder:
                    await UnregisterAsync(DispatchReminder);
                    break;
                case OutboxReminder:
                    await DeliverOutboxAsync();
                    break;
            }
            return View();
        });
    }

    /// <summary>The offer timer or the dispatch reminder: expire an offer that is due, or search again after a failed search.</summary>
    private async Task CheckDispatchAsync()
    {
        if (Ride.Status != RideStatus.Created || !Ride.DriverRequested)
        {
            return;
        }
        if (Ride.Offer is null)
        {
            await DispatchNextAsync(); // an earlier search failed part-way: search again
        }
        else if (Now >= Ride.Offer.ExpiresAt - TimeSpan.FromMilliseconds(50))
        {
            await ExpireOfferAsync();
        }
        else
        {
            ArmOfferTimer(Ride.Offer.ExpiresAt); // woken early (the backstop): wait for the real deadline
        }
    }

    /// <summary>Fires once when the pending offer expires; a normal (non-interleaved) turn of the ride.</summary>
    private void ArmOfferTimer(DateTimeOffset expiresAt)
    {
        var due = expiresAt - Now;
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }
        if (_offerTimer is null)
        {
            _offerTimer = this.RegisterGrainTimer(static grain => grain.GuardAsync(async () =>
            {
                await grain.CheckDispatchAsync();
                return grain.View();
            }), this, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
        else
        {
            _offerTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmOfferTimer()
    {
        _offerTimer?.Dispose();
        _offerTimer = null;
    }

    /// <summary>The durable reminder that wakes the ride on a survivor if its silo dies before the work is done.</summary>
    private Task RegisterBackstopAsync(string reminderName) =>
        this.RegisterOrUpdateReminder(reminderName, _dispatch.BackstopPeriod, _dispatch.BackstopPeriod);

    /// <summary>Retries the outbox every <see cref="DispatchOptions.PaymentRetryInterval"/> while this activation lives.</summary>
    private void StartOutboxRetries() =>
        _outboxTimer ??= this.RegisterGrainTimer(static grain => grain.GuardAsync(async () =>
        {
            await grain.DeliverOutboxAsync();
            return grain.View();
        }), this, new GrainTimerCreationOptions(_dispatch.PaymentRetryInterval, _dispatch.PaymentRetryInterval) { KeepAlive = true });

    // ---- The trip -----------------------------------------------------------------------------------------

    public Task<RideView> MarkArrived(string driverId) => DriverMoveAsync(driverId, RideStatus.Arrived, "arrived", () =>
    {
        Ride.ArrivedAt = Now; // waiting-time rules (the rider's cancellation fee) apply only from here
        return Task.CompletedTask;
    });

    public Task<RideView> StartTrip(string driverId) => DriverMoveAsync(driverId, RideStatus.Started, "started", async () =>
    {
        await GrainFactory.GetGrain<IDriverGrain>(driverId).StartTrip(RideId);
        Ride.StartedAt = Now;
    });

    public Task<RideView> FinishTrip(string driverId) => DriverMoveAsync(driverId, RideStatus.Finished, "finished", async () =>
    {
        var track = await GrainFactory.GetGrain<IDriverGrain>(driverId).CompleteTrip(RideId);
        // The driven distance from the positions between start and finish; the straight line if too few were sent.
        var distance = track.Positions >= 2 && track.DistanceMeters > 0
            ? track.DistanceMeters
            : (long)Math.Round(GeoMath.DistanceMeters(Ride.Pickup, Ride.Dropoff), MidpointRounding.AwayFromZero);
        var duration = Now - (Ride.StartedAt ?? Now);
        var policy = Ride.Policy!;
        var fare = SurgeMultiplier.Apply(FareCalculator.Estimate(policy, distance, duration < TimeSpan.Zero ? TimeSpan.Zero : duration), Ride.SurgeBasisPoints);
        var charged = Money.Min(fare, Ride.HeldAmount ?? Ride.MaxFare ?? fare);
        Ride.DistanceMeters = distance;
        Ride.FinalFare = fare;
        Ride.Charged = charged;
        await SchedulePaymentsAsync(Ride.PaymentMethod == PaymentMethod.Cash ? CommissionOfCashRide(charged, policy) : CaptureAndSplit("capture", charged, policy));
        RideMetrics.Completed.Add(1);
        RideMetrics.Active.Add(-1);
        RideMetrics.FaresMinor.Add(charged.Minor);
        RideMetrics.RevenueMinor.Add(FareCalculator.Split(charged, policy).PlatformCommission.Minor);
    });

    private Task<RideView> DriverMoveAsync(string driverId, RideStatus to, string eventName, Func<Task>? effect) =>
        GuardAsync(() => DriverMoveCoreAsync(driverId, to, eventName, effect));

    private async Task<RideView> DriverMoveCoreAsync(string driverId, RideStatus to, string eventName, Func<Task>? effect)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(driverId);
        RequireCreated();
        if (Ride.DriverId != driverId)
        {
            throw new NotRideParticipantException(RideId, RideActor.Driver, driverId);
        }
        if (Ride.Status == to)
        {
            return View(); // a retried move
        }
        RideTransitions.Check(Ride.Status, to, RideActor.Driver);
        if (effect is not null)
        {
            await effect();
        }
        Ride.Status = to;
        Record(eventName, RideActor.Driver, Ride.Charged is { } charged && to == RideStatus.Finished
            ? $"{Ride.DistanceMeters} m, fare {Ride.FinalFare}, charged {charged}"
            : null);
        await SaveAsync();
        if (RideTransitions.IsTerminal(to))
        {
            await CloseAsync();
        }
        return View();
    }

    public Task<RideView> Cancel(RideActor actor, string actorId, string? reason) => GuardAsync(() => CancelCore(actor, actorId, reason));

    private async Task<RideView> CancelCore(RideActor actor, string actorId, string? reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actorId);
        if (!Enum.IsDefined(actor))
        {
            throw new ArgumentOutOfRangeException(nameof(actor), actor, "Unknown actor.");
        }
        RequireCreated();
        var participant = actor switch
        {
            RideActor.Rider => Ride.RiderId == actorId,
            RideActor.Driver => Ride.DriverId == actorId,
            _ => true,
        };
        if (!participant)
        {
            throw new NotRideParticipantException(RideId, actor, actorId);
        }
        if (Ride.Status == RideStatus.Cancelled)
        {
            return View();
        }
        var from = Ride.Status;
        RideTransitions.Check(from, RideStatus.Cancelled, actor);

        if (Ride.Offer is { } offer)
        {
            await TryReleaseAsync(GrainFactory.GetGrain<IDriverGrain>(offer.DriverId));
            Ride.Offer = null;
            DisarmOfferTimer();
            await UnregisterAsync(DispatchReminder);
        }
        if (Ride.DriverId is { } driverId)
        {
            await GrainFactory.GetGrain<IDriverGrain>(driverId).CancelTrip(RideId);
        }
        ReleaseCommissionReserveOnClose();

        Ride.Status = RideStatus.Cancelled;
        Ride.CancelledBy = actor;
        var fee = FareCalculator.CancellationFee(Ride.Policy!);
        if (actor == RideActor.Rider && from == RideStatus.Arrived && fee.IsPositive && Ride.HoldReference is not null)
        {
            // The driver came to the pickup: the rider pays the cancellation fee, split like a fare.
            var charged = Money.Min(fee, Ride.HeldAmount!.Value);
            Ride.Charged = charged;
            Record("cancelled", actor, $"{reason ?? "no reason given"}; cancellation fee {charged}");
            await SchedulePaymentsAsync(CaptureAndSplit("cancellation-fee", charged, Ride.Policy!));
            await SaveAsync();
            await CloseAsync();
        }
        else
        {
            Record("cancelled", actor, reason ?? "no reason given");
            await ReleaseHoldAndCloseAsync();
        }
        RideMetrics.Cancelled.Add(1);
        if (Ride.DriverRequested)
        {
            RideMetrics.Active.Add(-1);
        }
        return View();
    }

    public Task<RideView> Get()
    {
        RequireCreated();
        return Task.FromResult(View());
    }

    // ---- Money --------------------------------------------------------------------------------------------

    private IWalletGrain RiderWallet => WalletOf(Ride.RiderId);

    private IWalletGrain WalletOf(string userId) => GrainFactory.GetGrain<IWalletGrain>(WalletIds.ForUser(userId));

    /// <summary>The cell's multiplier; if the cell cannot answer, none (×1.0 is shown and kept): a surge outage never blocks an order.</summary>
    private async Task<SurgeQuote?> QuoteSurgeAsync(string city, GeoPoint pickup)
    {
        try
        {
            return await SurgeCell(city, pickup).Quote();
        }
        catch (Exception exception)
        {
            LogSurgeUnavailable(RideId, exception);
            return null;
        }
    }

    private ISurgeGrain SurgeCell(string city, GeoPoint pickup) =>
        GrainFactory.GetGrain<ISurgeGrain>(SurgeCells.Key(city, GeoCell.FromPoint(pickup, indexOptions.Value.CellSizeDegrees)));

    /// <summary>Capture from the rider's hold, then the driver's share and the platform's commission.</summary>
    private List<PaymentInstruction> CaptureAndSplit(string purpose, Money amount, FarePolicy policy)
    {
        var split = FareCalculator.Split(amount, policy);
        var payments = new List<PaymentInstruction>
        {
            new($"ride:{RideId}:{purpose}", PaymentStep.Capture, WalletIds.ForUser(Ride.RiderId), amount, Ride.HoldReference),
        };
        if (split.DriverShare.IsPositive)
        {
            payments.Add(new($"ride:{RideId}:{purpose}:driver", PaymentStep.Credit, WalletIds.ForUser(Ride.DriverId!), split.DriverShare, null));
        }
        if (split.PlatformCommission.IsPositive)
        {
            payments.Add(new($"ride:{RideId}:{purpose}:commission", PaymentStep.Credit, WalletIds.Platform, split.PlatformCommission, null));
        }
        return payments;
    }

    /// <summary>A cash ride's commission: taken from the reserve on the driver's wallet (the rest of the reserve released), credited to the platform.</summary>
    private List<PaymentInstruction> CommissionOfCashRide(Money charged, FarePolicy policy)
    {
        var commission = FareCalculator.Split(charged, policy).PlatformCommission;
        var payments = new List<PaymentInstruction>();
        if (Ride.CommissionReserve is { } reserve && reserve.DriverId == Ride.DriverId)
        {
            Ride.CommissionReserve = null;
            if (commission.IsPositive)
            {
                payments.Add(new($"ride:{RideId}:commission", PaymentStep.Capture, WalletIds.ForUser(reserve.DriverId), commission, reserve.Reference));
                payments.Add(new($"ride:{RideId}:commission:platform", PaymentStep.Credit, WalletIds.Platform, commission, null));
            }
            else
            {
                payments.Add(new($"{reserve.Reference}:release", PaymentStep.Release, WalletIds.ForUser(reserve.DriverId), reserve.Amount, reserve.Reference));
            }
        }
        return payments;
    }

    /// <summary>A closing ride gives back the commission it reserved on a driver's wallet (through the outbox, stored with the close).</summary>
    private void ReleaseCommissionReserveOnClose()
    {
        if (Ride.CommissionReserve is { } reserve)
        {
            Ride.CommissionReserve = null;
            Ride.Outbox.Add(new($"{reserve.Reference}:release", PaymentStep.Release, WalletIds.ForUser(reserve.DriverId), reserve.Amount, reserve.Reference));
        }
    }

    private async Task ReleaseHoldAndCloseAsync()
    {
        await SchedulePaymentsAsync(Ride.HoldReference is { } hold
            ? [new($"ride:{RideId}:release", PaymentStep.Release, WalletIds.ForUser(Ride.RiderId), Ride.HeldAmount!.Value, hold)]
            : []);
        await SaveAsync();
        await CloseAsync();
    }

    /// <summary>
    /// Adds payments to the outbox. The retry reminder is registered first, so no stored instruction (nor the closing
    /// events) is ever orphaned by a crash right after the write.
    /// </summary>
    private async Task SchedulePaymentsAsync(IEnumerable<PaymentInstruction> payments)
    {
        await RegisterBackstopAsync(OutboxReminder);
        StartOutboxRetries();
        Ride.Outbox.AddRange(payments);
    }

    /// <summary>After the closing state is stored: pay, tell the rider, stop waiting for offers.</summary>
    private async Task CloseAsync()
    {
        DisarmOfferTimer();
        await UnregisterAsync(DispatchReminder);
        await DeliverOutboxAsync();
        _ = GrainFactory.GetGrain<IRiderGrain>(Ride.RiderId).OnRideClosed(RideId);
    }

    /// <summary>
    /// Delivers pending payments in order, stopping at the first failure, and publishes unpublished events; the
    /// outbox reminder tries again until both are done.
    /// </summary>
    private async Task DeliverOutboxAsync()
    {
        var delivered = 0;
        for (var i = 0; i < Ride.Outbox.Count; i++)
        {
            var payment = Ride.Outbox[i];
            if (payment.Done)
            {
                continue;
            }
            try
            {
                var wallet = GrainFactory.GetGrain<IWalletGrain>(payment.WalletId);
                _ = payment.Step switch
                {
                    PaymentStep.Capture => await wallet.Capture(payment.Reference, payment.HoldReference!, payment.Amount),
                    PaymentStep.Release => await wallet.Release(payment.Reference, payment.HoldReference!),
                    _ => await wallet.Credit(payment.Reference, payment.Amount),
                };
            }
            catch (UnknownHoldException) when (payment.Step == PaymentStep.Release)
            {
                // Neither open nor released by this reference: never placed (a reserve stored before a crash), so nothing to give back.
            }
            catch (Exception exception)
            {
                LogPaymentFailed(RideId, payment.Reference, exception);
                break;
            }
            Ride.Outbox[i] = payment with { Done = true };
            Record($"paid:{payment.Step.ToString().ToLowerInvariant()}", RideActor.System, $"{payment.Amount} {payment.WalletId}");
            delivered++;
        }
        if (delivered > 0)
        {
            await SaveAsync();
        }
        else
        {
            await PublishEventsAsync();
        }
        if (Ride.Outbox.All(p => p.Done) && Ride.PublishedEvents == Ride.Timeline.Count)
        {
            _outboxTimer?.Dispose();
            _outboxTimer = null;
            await UnregisterAsync(OutboxReminder);
        }
        else
        {
            StartOutboxRetries();
        }
    }

    /// <summary>Stores the state, then publishes the events it added.</summary>
    private async Task SaveAsync()
    {
        await state.WriteStateAsync();
        await PublishEventsAsync();
    }

    /// <summary>
    /// Publishes the timeline events the stream provider has not acknowledged, as one batch on the ride's stream
    /// (<see cref="AtlasStreams.RideStream"/>): called only after the state that recorded them is stored. The count of
    /// acknowledged events is stored with the next write, so after a crash some events are published again: consumers
    /// drop them by (ride, sequence). A provider that refuses (its store down) leaves them to the outbox retries.
    /// </summary>
    private async Task PublishEventsAsync()
    {
        var from = Ride.PublishedEvents;
        if (from >= Ride.Timeline.Count)
        {
            return;
        }
        var pending = new List<RideEventMessage>(Ride.Timeline.Count - from);
        for (var i = from; i < Ride.Timeline.Count; i++)
        {
            pending.Add(EventMessage(i));
        }
        try
        {
            await this.GetStreamProvider(AtlasStreams.ProviderName).GetStream<RideEventMessage>(AtlasStreams.RideStream(RideId))
                .OnNextBatchAsync(pending);
            Ride.PublishedEvents = Ride.Timeline.Count;
            StreamMetrics.RideEventsPublished.Add(pending.Count);
        }
        catch (Exception exception)
        {
            LogPublishFailed(RideId, exception);
            await RegisterBackstopAsync(OutboxReminder);
            StartOutboxRetries();
        }
    }

    private RideEventMessage EventMessage(int index)
    {
        var e = Ride.Timeline[index];
        long? commission = Ride.Charged is { } charged && Ride.Policy is { } policy && Ride.Status is RideStatus.Finished or RideStatus.Cancelled
            ? FareCalculator.Split(charged, policy).PlatformCommission.Minor
            : null;
        return new RideEventMessage(RideId, index + 1, e.Name, e.Actor, e.Detail, e.At, Ride.Status, Ride.RiderId, Ride.DriverId,
            Ride.VehicleClass ?? "", Ride.City, Ride.Estimate.Currency.Code, Ride.Estimate.Minor, Ride.Charged?.Minor, commission,
            Ride.DistanceMeters, Ride.CreatedAt, Ride.PaymentMethod, Ride.SurgeBasisPoints, Ride.Pickup, Ride.Dropoff,
            Ride.Status == RideStatus.Created ? Ride.Offer?.DriverId : null);
    }

    // ---- Helpers ------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs a state-changing operation. If it fails for a reason other than a domain refusal (a silo, a store or a
    /// call failed part-way), memory may be ahead of storage: the activation is dropped so the next call reloads what
    /// is stored; the stored status and the reminders carry the ride on from there.
    /// </summary>
    private async Task<RideView> GuardAsync(Func<Task<RideView>> operation)
    {
        try
        {
            return await operation();
        }
        catch (Exception exception) when (exception is not Common.DomainException and not ArgumentException)
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private void RequireCreated()
    {
        if (!Ride.Created)
        {
            throw new UnknownRideException(RideId);
        }
    }

    private void Record(string name, RideActor actor, string? detail)
    {
        Ride.UpdatedAt = Now;
        Ride.Timeline.Add(new RideEvent(Ride.UpdatedAt, name, actor, detail));
    }

    private async Task TryReleaseAsync(IDriverGrain driver)
    {
        try
        {
            await driver.ReleaseOffer(RideId);
        }
        catch (Exception exception)
        {
            // The driver releases an offer left past its expiry by itself.
            LogReleaseFailed(RideId, exception);
        }
    }

    private async Task TryCancelTripAsync(IDriverGrain driver)
    {
        try
        {
            await driver.CancelTrip(RideId);
        }
        catch (Exception exception)
        {
            LogReleaseFailed(RideId, exception);
        }
    }

    /// <summary>
    /// Best effort, since it follows state that is already stored: a reminder left registered (its reminder service was
    /// unreachable, say a silo stopping) finds nothing to do at its next tick and unregisters itself then.
    /// </summary>
    private async Task UnregisterAsync(string reminderName)
    {
        try
        {
            if (await this.GetReminder(reminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception exception)
        {
            LogUnregisterFailed(RideId, reminderName, exception);
        }
    }

    private RideView View() => new(
        RideId, Ride.RiderId, Ride.DriverId, Ride.Status, Ride.VehicleClass ?? "", Ride.City, Ride.Pickup, Ride.Dropoff, Ride.Estimate,
        Ride.HeldAmount, Ride.FinalFare, Ride.Charged, Ride.DistanceMeters, Ride.Offer?.DriverId, Ride.Offer?.ExpiresAt, Ride.CancelledBy,
        RideTransitions.IsTerminal(Ride.Status) && Ride.Outbox.All(p => p.Done), Ride.CreatedAt, Ride.UpdatedAt, [.. Ride.Timeline],
        Ride.PaymentMethod, Ride.DispatchMode, Ride.SurgeBasisPoints, Ride.MaxFare);

    [LoggerMessage(LogLevel.Information, "Ride {RideId} offered to driver {DriverId}")]
    private partial void LogOffered(string rideId, string driverId);

    [LoggerMessage(LogLevel.Information, "Ride {RideId} assigned to driver {DriverId}")]
    private partial void LogAssigned(string rideId, string driverId);

    [LoggerMessage(LogLevel.Information, "Ride {RideId} skipped driver {DriverId}: their wallet cannot take the commission {Commission} within the credit limit")]
    private partial void LogCreditLimitReached(string rideId, string driverId, string commission);

    [LoggerMessage(LogLevel.Warning, "Ride {RideId}: its surge cell did not answer; quoted without surge")]
    private partial void LogSurgeUnavailable(string rideId, Exception exception);

    [LoggerMessage(LogLevel.Information, "Ride {RideId} found no driver")]
    private partial void LogNoDriver(string rideId);

    [LoggerMessage(LogLevel.Warning, "Ride {RideId} could not claim driver {DriverId}")]
    private partial void LogClaimFailed(string rideId, string driverId, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Ride {RideId} could not release its offer")]
    private partial void LogReleaseFailed(string rideId, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Ride {RideId}: publishing its events failed; they will be retried")]
    private partial void LogPublishFailed(string rideId, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Ride {RideId}: reminder {Reminder} could not be unregistered; its next tick will")]
    private partial void LogUnregisterFailed(string rideId, string reminder, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Ride {RideId}: payment {Reference} failed; it will be retried")]
    private partial void LogPaymentFailed(string rideId, string reference, Exception exception);
}
