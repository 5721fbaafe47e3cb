using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Atlas.Grains.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Grains.Drivers;

/// <summary>
/// A driver. Status changes follow <see cref="DriverTransitions"/> and are stored before they are acknowledged.
/// While available, every accepted position goes to the index shard of its cell (one-way, so a location update
/// never waits on the index); any other status takes the driver out of the index.
/// </summary>
public sealed partial class DriverGrain(
    [PersistentState("driver")] IPersistentState<DriverState> state,
    IOptions<DriverOptions> driverOptions,
    IOptions<GeoIndexOptions> indexOptions,
    MarketCatalog markets,
    TimeProvider time,
    ILogger<DriverGrain> logger) : Grain, IDriverGrain
{
    private const int HistoryLimit = 200;

    private readonly DriverOptions _options = driverOptions.Value;
    private readonly double _cellSize = indexOptions.Value.CellSizeDegrees;
    private string? _indexedShard;
    private IGeoIndexGrain? _indexedGrain;
    private GeoCell _indexedCell;
    private bool _tripDirty;
    private IGrainTimer? _checkpointTimer;
    private List<DriverLocationMessage>? _positionsWaiting;
    private bool _publishingPositions;
    private DateTimeOffset _lastPositionPublished;
    private DriverLocationMessage? _nextPosition;
    private IGrainTimer? _nextPositionTimer;

    private DriverState Driver => state.State;

    private string DriverId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Driver.Registered && Driver.VehicleClass is null)
        {
            Driver.VehicleClass = Driver.LegacyVehicleType.ClassName(); // stored before classes came from configuration
        }
        if (Driver.Trip is not null)
        {
            StartCheckpoints();
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_tripDirty)
        {
            await state.WriteStateAsync(cancellationToken);
        }
        if (_nextPosition is { } last)
        {
            // The position held back for its interval would otherwise be lost with the activation.
            _nextPosition = null;
            try
            {
                await PositionStream().OnNextAsync(last);
                StreamMetrics.PositionsPublished.Add(1);
            }
            catch (Exception exception)
            {
                StreamMetrics.PositionsDropped.Add(1, new KeyValuePair<string, object?>("reason", "failed"));
                LogPositionDropped(DriverId, exception);
            }
        }
    }

    public async Task<DriverSnapshot> Register(DriverRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.Name, nameof(registration.Name));
        var city = markets.City(registration.City);
        var vehicleClass = city.VehicleClass(registration.VehicleClass).Name;
        if (Driver.Registered && vehicleClass != Driver.VehicleClass && Driver.Status is DriverStatus.Offered or DriverStatus.OnTrip)
        {
            throw new IllegalDriverTransitionException(Driver.Status, Driver.Status);
        }
        var reindex = Driver.Registered && vehicleClass != Driver.VehicleClass;
        if (reindex)
        {
            LeaveIndex();
        }
        Driver.Registered = true;
        Driver.Name = registration.Name.Trim();
        Driver.VehicleClass = vehicleClass;
        Driver.City = string.IsNullOrWhiteSpace(registration.City) ? null : city.Name;
        await state.WriteStateAsync();
        if (reindex)
        {
            RefreshIndex();
        }
        return Snapshot();
    }

    public async Task<DriverSnapshot> GoOnline()
    {
        RequireRegistered();
        await ReleaseStaleOfferAsync();
        if (Driver.Status == DriverStatus.Offline)
        {
            await MoveAsync(DriverStatus.Available);
        }
        return Snapshot();
    }

    public async Task<DriverSnapshot> GoOffline()
    {
        RequireRegistered();
        await ReleaseStaleOfferAsync();
        if (Driver.Status != DriverStatus.Offline)
        {
            await MoveAsync(DriverStatus.Offline);
        }
        return Snapshot();
    }

    public Task UpdateLocation(GeoPoint location, DateTimeOffset timestamp)
    {
        RequireRegistered();
        var now = time.GetUtcNow();
        if (timestamp > now + _options.MaxClockSkew)
        {
            throw new LocationInFutureException(DriverId, timestamp, now);
        }
        if (Driver.LocationAt is { } last)
        {
            if (timestamp < last)
            {
                throw new StaleLocationException(DriverId, timestamp, last);
            }
            if (timestamp == last && Driver.Location == location)
            {
                return Task.CompletedTask; // the same update again
            }
        }
        Driver.Location = location;
        Driver.LocationAt = timestamp;
        SamplePosition(new DriverLocationMessage(DriverId, location, timestamp, (DriverStatusSnapshot)Driver.Status));
        if (Driver.Trip is { } trip && trip.RideId == Driver.RideId)
        {
            var step = trip.LastPosition is { } previous ? GeoMath.DistanceMeters(previous, location) : 0;
            Driver.Trip = trip with { DistanceMeters = trip.DistanceMeters + step, Positions = trip.Positions + 1, LastPosition = location };
            _tripDirty = true;
        }
        if (Driver.Status == DriverStatus.Available)
        {
            RefreshIndex();
        }
        return Task.CompletedTask;
    }

    public async Task<bool> TryClaim(RideOffer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentException.ThrowIfNullOrEmpty(offer.RideId, nameof(offer.RideId));
        if (!Driver.Registered)
        {
            return false;
        }
        await ReleaseStaleOfferAsync();
        if (Driver.Status == DriverStatus.Offered && Driver.Offer?.RideId == offer.RideId)
        {
            return true; // a retried claim for the same ride
        }
        if (!IsClaimable(offer))
        {
            return false;
        }
        Driver.Offer = offer;
        Driver.RideId = offer.RideId;
        await MoveAsync(DriverStatus.Offered);
        return true;
    }

    public async Task<bool> TryAssign(RideOffer ride)
    {
        ArgumentNullException.ThrowIfNull(ride);
        ArgumentException.ThrowIfNullOrEmpty(ride.RideId, nameof(ride.RideId));
        if (!Driver.Registered)
        {
            return false;
        }
        await ReleaseStaleOfferAsync();
        if (Driver.Status == DriverStatus.OnTrip && Driver.RideId == ride.RideId)
        {
            return true; // a retried assignment
        }
        if (!IsClaimable(ride))
        {
            return false;
        }
        await MoveAsync(DriverStatus.OnTrip, ride.RideId);
        return true;
    }

    private bool IsClaimable(RideOffer ride) => Driver.Status == DriverStatus.Available && Driver.VehicleClass == ride.VehicleClass && IsFresh();

    public async Task ReleaseOffer(string rideId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        if (Driver.Status == DriverStatus.Offered && Driver.Offer?.RideId == rideId)
        {
            await MoveAsync(DriverStatus.Available);
        }
    }

    public async Task ConfirmTrip(string rideId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        if (Driver.Status == DriverStatus.OnTrip && Driver.RideId == rideId)
        {
            return;
        }
        if (Driver.Status != DriverStatus.Offered || Driver.Offer?.RideId != rideId)
        {
            throw new DriverRideMismatchException(DriverId, rideId, Driver.RideId);
        }
        await MoveAsync(DriverStatus.OnTrip, rideId);
    }

    public async Task StartTrip(string rideId)
    {
        RequireOnRide(rideId);
        if (Driver.Trip?.RideId == rideId)
        {
            return;
        }
        Driver.Trip = new TripProgress(rideId, 0, Driver.Location is null ? 0 : 1, Driver.Location);
        await state.WriteStateAsync();
        _tripDirty = false;
        StartCheckpoints();
    }

    public async Task<TripTrack> CompleteTrip(string rideId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        if (Driver.LastTrip?.RideId == rideId && Driver.RideId != rideId)
        {
            return Driver.LastTrip;
        }
        RequireOnRide(rideId);
        var trip = Driver.Trip is { } progress && progress.RideId == rideId ? progress : new TripProgress(rideId, 0, 0, null);
        var track = new TripTrack(rideId, (long)Math.Round(trip.DistanceMeters, MidpointRounding.AwayFromZero), trip.Positions);
        Driver.LastTrip = track;
        await MoveAsync(DriverStatus.Available);
        return track;
    }

    public async Task CancelTrip(string rideId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        if (Driver.RideId == rideId && Driver.Status is DriverStatus.Offered or DriverStatus.OnTrip)
        {
            await MoveAsync(DriverStatus.Available);
        }
    }

    public Task<DriverSnapshot> GetSnapshot()
    {
        RequireRegistered();
        return Task.FromResult(Snapshot());
    }

    public Task<RideOffer?> GetOffer() => Task.FromResult(Driver.Status == DriverStatus.Offered ? Driver.Offer : null);

    public Task<IReadOnlyList<string>> GetRideHistory(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return Task.FromResult<IReadOnlyList<string>>(Driver.RideHistory.Take(limit).ToArray());
    }

    // ---- Status ---------------------------------------------------------------------------------------------

    /// <summary>Changes status (checked against the transition table), stores it, then updates the index.</summary>
    private async Task MoveAsync(DriverStatus to, string? rideId = null)
    {
        var from = Driver.Status;
        DriverTransitions.Check(from, to);
        Driver.Status = to;
        if (to == DriverStatus.OnTrip)
        {
            Driver.RideId = rideId;
        }
        if (to is DriverStatus.Available or DriverStatus.Offline)
        {
            if (Driver.RideId is { } finished && from == DriverStatus.OnTrip)
            {
                Driver.RideHistory.Insert(0, finished);
                if (Driver.RideHistory.Count > HistoryLimit)
                {
                    Driver.RideHistory.RemoveRange(HistoryLimit, Driver.RideHistory.Count - HistoryLimit);
                }
            }
            Driver.RideId = null;
            Driver.Offer = null;
            Driver.Trip = null;
            StopCheckpoints();
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            Driver.Status = from; // the activation is dropped anyway; do not index what was not stored
            throw;
        }
        _tripDirty = false;
        if (to == DriverStatus.Available)
        {
            RefreshIndex();
        }
        else
        {
            LeaveIndex();
        }
    }

    /// <summary>An offer long past its expiry was abandoned by its ride (which would have released it): release it here.</summary>
    private async Task ReleaseStaleOfferAsync()
    {
        if (Driver.Status == DriverStatus.Offered && Driver.Offer is { } offer && time.GetUtcNow() > offer.ExpiresAt + _options.StaleOfferGrace)
        {
            await MoveAsync(DriverStatus.Available);
        }
    }

    private bool IsFresh() => Driver.LocationAt is { } at && at >= time.GetUtcNow() - _options.FreshnessWindow;

    private void RequireRegistered()
    {
        if (!Driver.Registered)
        {
            throw new UnknownDriverException(DriverId);
        }
    }

    private void RequireOnRide(string rideId)
    {
        ArgumentException.ThrowIfNullOrEmpty(rideId);
        if (Driver.Status != DriverStatus.OnTrip || Driver.RideId != rideId)
        {
            throw new DriverRideMismatchException(DriverId, rideId, Driver.RideId);
        }
    }

    // ---- Index ----------------------------------------------------------------------------------------------

    private void RefreshIndex()
    {
        if (Driver.Location is not { } location || Driver.LocationAt is not { } at || Driver.Status != DriverStatus.Available)
        {
            return;
        }
        // Positions come every few seconds and mostly stay in their cell: the shard's key and reference are made only
        // when the cell changes (the vehicle class changes only through LeaveIndex, which forgets them).
        var cell = GeoCell.FromPoint(location, _cellSize);
        if (_indexedGrain is null || cell != _indexedCell)
        {
            var shard = GeoIndexShards.Key(Driver.VehicleClass!, cell);
            if (_indexedGrain is not null && _indexedShard != shard)
            {
                _ = _indexedGrain.Remove(DriverId);
            }
            _indexedShard = shard;
            _indexedCell = cell;
            _indexedGrain = GrainFactory.GetGrain<IGeoIndexGrain>(shard);
        }
        _ = _indexedGrain.Upsert(DriverId, location, at);
    }

    private void LeaveIndex()
    {
        var shard = _indexedShard ?? (Driver.Location is { } location ? GeoIndexShards.Key(Driver.VehicleClass!, location, _cellSize) : null);
        if (shard is not null)
        {
            _ = GrainFactory.GetGrain<IGeoIndexGrain>(shard).Remove(DriverId);
        }
        _indexedShard = null;
        _indexedGrain = null;
    }

    // ---- Trip checkpoints -----------------------------------------------------------------------------------

    private void StartCheckpoints() =>
        _checkpointTimer ??= this.RegisterGrainTimer(static (grain, _) => grain.CheckpointAsync(), this,
            new GrainTimerCreationOptions(_options.TripCheckpointInterval, _options.TripCheckpointInterval) { KeepAlive = true });

    private void StopCheckpoints()
    {
        _checkpointTimer?.Dispose();
        _checkpointTimer = null;
    }

    private async Task CheckpointAsync()
    {
        if (_tripDirty)
        {
            _tripDirty = false;
            await state.WriteStateAsync();
        }
    }

    private DriverSnapshot Snapshot() => new(DriverId, Driver.Name, Driver.VehicleClass ?? "", Driver.City, Driver.Status, Driver.Location,
        Driver.LocationAt, IsFresh(), Driver.RideId, Driver.Status == DriverStatus.Offered ? Driver.Offer?.ExpiresAt : null);

    /// <summary>
    /// Publishes at most one position per <see cref="DriverOptions.PositionHistoryInterval"/>; a position inside an
    /// interval that had one waits (replaced by any newer one) and is published when the interval ends.
    /// </summary>
    private void SamplePosition(DriverLocationMessage position)
    {
        var interval = _options.PositionHistoryInterval;
        var wait = _lastPositionPublished + interval - time.GetUtcNow();
        if (interval <= TimeSpan.Zero || (wait <= TimeSpan.Zero && _nextPosition is null))
        {
            _lastPositionPublished = time.GetUtcNow();
            PublishPosition(position);
            return;
        }
        _nextPosition = position;
        if (_nextPositionTimer is null)
        {
            _nextPositionTimer = this.RegisterGrainTimer(static grain =>
            {
                grain.PublishNextPosition();
                return Task.CompletedTask;
            }, this, new GrainTimerCreationOptions(Max(wait, TimeSpan.Zero), Timeout.InfiniteTimeSpan) { Interleave = true });
        }
        else if (wait > TimeSpan.Zero)
        {
            _nextPositionTimer.Change(wait, Timeout.InfiniteTimeSpan);
        }
    }

    private void PublishNextPosition()
    {
        if (_nextPosition is { } position)
        {
            _nextPosition = null;
            _lastPositionPublished = time.GetUtcNow();
            PublishPosition(position);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Positions kept while a publish is in flight; beyond this they are dropped (and counted).</summary>
    private const int MaxPositionsWaiting = 64;

    /// <summary>
    /// Publishes the position on the driver's stream without holding up the update (positions are history, and the
    /// next one follows in seconds): positions that arrive while a publish is in flight wait and go together in the
    /// next one, in order; beyond <see cref="MaxPositionsWaiting"/> (the provider slow or down) they are dropped and
    /// counted rather than queued without bound.
    /// </summary>
    private void PublishPosition(DriverLocationMessage position)
    {
        if (_publishingPositions)
        {
            _positionsWaiting ??= [];
            if (_positionsWaiting.Count < MaxPositionsWaiting)
            {
                _positionsWaiting.Add(position);
            }
            else
            {
                StreamMetrics.PositionsDropped.Add(1, new KeyValuePair<string, object?>("reason", "busy"));
            }
            return;
        }
        _publishingPositions = true;
        _ = PublishPositionsAsync([position]);
    }

    private Orleans.Streams.IAsyncStream<DriverLocationMessage> PositionStream() =>
        this.GetStreamProvider(AtlasStreams.ProviderName).GetStream<DriverLocationMessage>(AtlasStreams.PositionStream(DriverId));

    /// <summary>Runs on the grain's scheduler (continuations of a grain turn), so the fields need no lock.</summary>
    private async Task PublishPositionsAsync(List<DriverLocationMessage> positions)
    {
        try
        {
            while (positions.Count > 0)
            {
                try
                {
                    await PositionStream().OnNextBatchAsync(positions);
                    StreamMetrics.PositionsPublished.Add(positions.Count);
                }
                catch (Exception exception)
                {
                    StreamMetrics.PositionsDropped.Add(positions.Count, new KeyValuePair<string, object?>("reason", "failed"));
                    LogPositionDropped(DriverId, exception);
                }
                positions = _positionsWaiting ?? [];
                _positionsWaiting = null;
            }
        }
        finally
        {
            _publishingPositions = false;
        }
    }

    [LoggerMessage(LogLevel.Debug, "Driver {DriverId}: a position could not be published; the next one will be")]
    private partial void LogPositionDropped(string driverId, Exception exception);
}
