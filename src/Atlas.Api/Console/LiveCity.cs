using Atlas.Api.Admin;
using Atlas.Api.Rides;
using Atlas.Grains.Drivers;
using Atlas.Grains.Geo;
using Atlas.Grains.Geo.Index;
using Atlas.Grains.LiveFeed;
using Atlas.Grains.Markets;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.Events;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Console;

/// <summary>
/// The city as the live feed shows it to this API process: drivers (last position, status), open rides, surge cells and
/// the figures beside the map, built only from what the platform's streams carry (<see cref="Apply"/>) — no grain is
/// asked. Consoles read a <see cref="Snapshot"/> once, then follow their <see cref="ConsoleStream"/>'s changes.
/// </summary>
/// <remarks>
/// What the feed never carried is not here: drivers appear with their first position after this API started following
/// the feed, rides with their next event. A driver's status comes from the newest of its positions (each says the status
/// at the time) and the ride events naming it (offered, matched, released).
/// </remarks>
public sealed class LiveCity
{
    private const int SeenPerDriver = 20;
    private const int RememberedClosedRides = 50_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LiveDriver> _drivers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LiveRide> _rides = new(StringComparer.Ordinal);
    // Closed rides leave the map but their last sequence is kept a while: a repeated delivery must not count them again.
    private readonly Dictionary<string, int> _closedSequences = new(StringComparer.Ordinal);
    private readonly Queue<string> _closedOrder = new();
    private readonly Dictionary<string, LiveSurgeCell> _surge = new(StringComparer.Ordinal);
    private readonly List<ConsoleStream> _streams = [];
    private readonly LiveFigures _figures;
    private readonly ConsoleOptions _options;
    private readonly MarketCatalog _markets;
    private readonly TimeProvider _time;
    private readonly TimeSpan _freshness;
    private readonly double _cellSize;
    private readonly DateTimeOffset _since;

    public LiveCity(IOptions<ConsoleOptions> options, IOptions<DriverOptions> drivers, IOptions<GeoIndexOptions> index, MarketCatalog markets, TimeProvider time)
    {
        _options = options.Value;
        _markets = markets;
        _time = time;
        _freshness = drivers.Value.FreshnessWindow;
        _cellSize = index.Value.CellSizeDegrees;
        _since = time.GetUtcNow();
        _figures = new LiveFigures(_options.MetricsWindow);
    }

    /// <summary>Consoles following the feed now.</summary>
    public int StreamCount
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Applies what the feed pushed: positions and ride events, in the order given.</summary>
    public void Apply(LiveFeedBatch batch)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var position in batch.Positions)
            {
                ApplyPosition(position, now);
            }
            // The events of one ride come in sequence order; each carries the ride's summary after the whole publish.
            foreach (var events in batch.RideEvents.GroupBy(e => e.RideId, StringComparer.Ordinal))
            {
                ApplyRide(events.Key, events, now);
            }
            foreach (var stream in _streams)
            {
                stream.MetricsChanged = true;
                stream.Signal();
            }
        }
    }

    private void ApplyPosition(DriverLocationMessage position, DateTimeOffset now)
    {
        var driver = Driver(position.DriverId);
        if (driver.LocationAt is { } known && position.At < known)
        {
            return; // an older position delivered late
        }
        driver.Location = position.Location;
        driver.LocationAt = position.At;
        driver.HeardAt = now;
        driver.Stale = false;
        // The driver's stream is in order and says the driver's own status (republished on each change): it wins over
        // what ride events said, which may have come ahead of it on their own streams.
        {
            var status = position.Status switch
            {
                DriverStatusSnapshot.Available => DriverStatus.Available,
                DriverStatusSnapshot.Offered => DriverStatus.Offered,
                DriverStatusSnapshot.OnTrip => DriverStatus.OnTrip,
                _ => DriverStatus.Offline,
            };
            SetStatus(driver, status, status is DriverStatus.Offered or DriverStatus.OnTrip ? driver.RideId : null, position.At);
        }
        MarkDriver(driver.Id);
    }

    private void ApplyRide(string rideId, IEnumerable<RideEventMessage> events, DateTimeOffset now)
    {
        if (!_rides.TryGetValue(rideId, out var ride))
        {
            ride = new LiveRide(rideId) { Sequence = _closedSequences.GetValueOrDefault(rideId) };
        }
        RideEventMessage? last = null;
        foreach (var e in events)
        {
            if (e.Sequence <= ride.Sequence)
            {
                continue; // delivered before (delivery is at least once)
            }
            ride.Sequence = e.Sequence;
            last = e;
            Count(ride, e);
        }
        if (last is null)
        {
            return;
        }
        var firstSight = ride.Summary is null;
        ride.Summary = last;
        ride.HeardAt = now;
        if (firstSight && last.SurgeBasisPoints > SurgeMultiplier.None && last.Pickup is { } pickup)
        {
            NoteSurge(last.City, pickup, last.SurgeBasisPoints, last.CreatedAt);
        }
        LinkDriver(ride, last);
        var closed = last.Status is RideStatus.Finished or RideStatus.Cancelled or RideStatus.NoDriver;
        if (closed)
        {
            ride.ClosedAt ??= now;
        }
        if (!_rides.ContainsKey(rideId))
        {
            if (closed && ride.Sequence > 0 && _closedSequences.ContainsKey(rideId))
            {
                // A closed ride's late event: remember it, but do not bring the ride back on the map.
                _closedSequences[rideId] = ride.Sequence;
                return;
            }
            _rides[rideId] = ride;
        }
        MarkRide(rideId);
    }

    /// <summary>The figures: each counted at most once per ride, on the event that says it happened.</summary>
    private void Count(LiveRide ride, RideEventMessage e)
    {
        switch (e.Name)
        {
            case "requested" when ride.RequestedAt is null:
                ride.RequestedAt = e.At;
                _figures.Requested(e.At);
                break;
            case "matched" when !ride.Matched:
                ride.Matched = true;
                _figures.Matched(e.At, e.At - (ride.RequestedAt ?? e.CreatedAt));
                break;
            case "cancelled":
                _figures.Cancelled(e.At);
                break;
            case "no_driver":
                _figures.NoDriver(e.At);
                break;
            case "finished":
                _figures.Finished(e.At);
                break;
        }
        if (!ride.RevenueCounted && e.Status is RideStatus.Finished or RideStatus.Cancelled && e.CommissionMinor is { } commission)
        {
            ride.RevenueCounted = true;
            _figures.Revenue(e.At, e.Currency, commission);
        }
    }

    /// <summary>The driver a ride holds (offered to, or on it) gets the ride's status; one it let go is available again.</summary>
    private void LinkDriver(LiveRide ride, RideEventMessage summary)
    {
        var (linked, status) = summary.Status switch
        {
            RideStatus.Created when summary.OfferedDriverId is { } offered => (offered, DriverStatus.Offered),
            RideStatus.Matched or RideStatus.Arrived or RideStatus.Started when summary.DriverId is { } driverId => (driverId, DriverStatus.OnTrip),
            _ => ((string?)null, DriverStatus.Available),
        };
        if (ride.LinkedDriver is { } previous && previous != linked && _drivers.TryGetValue(previous, out var released) && released.RideId == ride.Id)
        {
            SetStatus(released, DriverStatus.Available, null, summary.At);
            MarkDriver(previous);
        }
        ride.LinkedDriver = linked;
        if (linked is not null)
        {
            var driver = Driver(linked);
            if (driver.Status != status || driver.RideId != ride.Id)
            {
                SetStatus(driver, status, ride.Id, summary.At);
                MarkDriver(linked);
            }
        }
    }

    private void SetStatus(LiveDriver driver, DriverStatus status, string? rideId, DateTimeOffset at)
    {
        var changed = driver.Status != status || driver.RideId != rideId;
        driver.Status = status;
        driver.RideId = rideId;
        if (at > driver.StatusAt)
        {
            driver.StatusAt = at;
        }
        if (changed)
        {
            driver.Seen.Enqueue(new DriverStatusChange(at, status.ToWireName(), rideId));
            while (driver.Seen.Count > SeenPerDriver)
            {
                driver.Seen.Dequeue();
            }
        }
    }

    private void NoteSurge(string city, GeoPoint pickup, int basisPoints, DateTimeOffset at)
    {
        if (!_markets.TryGetCity(city, out var market) || !market.Surge.Enabled)
        {
            return;
        }
        var cell = GeoCell.FromPoint(pickup, _cellSize);
        var key = $"{market.Name}:{cell.Key}";
        var until = at + market.Surge.Window;
        if (_surge.TryGetValue(key, out var known) && known.At > at)
        {
            return;
        }
        _surge[key] = new LiveSurgeCell(market.Name, cell, basisPoints, at, until);
        foreach (var stream in _streams)
        {
            stream.SurgeChanged = true;
        }
    }

    private LiveDriver Driver(string driverId)
    {
        if (!_drivers.TryGetValue(driverId, out var driver))
        {
            driver = new LiveDriver(driverId) { HeardAt = _time.GetUtcNow() };
            _drivers[driverId] = driver;
        }
        return driver;
    }

    private void MarkDriver(string driverId)
    {
        foreach (var stream in _streams)
        {
            stream.Drivers.Add(driverId);
        }
    }

    private void MarkRide(string rideId)
    {
        foreach (var stream in _streams)
        {
            stream.Rides.Add(rideId);
        }
    }

    /// <summary>
    /// Time passing: drivers not heard from within the freshness window turn stale and, after
    /// <see cref="ConsoleOptions.ForgetDriverAfter"/>, leave; closed rides leave after their linger; surge cells expire;
    /// the figures' window slides. Called every second.
    /// </summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            List<string>? gone = null;
            foreach (var driver in _drivers.Values)
            {
                if (now - driver.HeardAt > _options.ForgetDriverAfter)
                {
                    (gone ??= []).Add(driver.Id);
                }
                else if (!driver.Stale && now - driver.HeardAt > _freshness)
                {
                    driver.Stale = true;
                    MarkDriver(driver.Id);
                }
            }
            foreach (var id in gone ?? [])
            {
                _drivers.Remove(id);
                foreach (var stream in _streams)
                {
                    stream.Drivers.Remove(id);
                    stream.RemovedDrivers.Add(id);
                }
            }
            List<LiveRide>? closed = null;
            foreach (var ride in _rides.Values)
            {
                if (ride.ClosedAt is { } at && now - at >= _options.ClosedRideLinger)
                {
                    (closed ??= []).Add(ride);
                }
            }
            foreach (var ride in closed ?? [])
            {
                _rides.Remove(ride.Id);
                RememberClosed(ride.Id, ride.Sequence);
                foreach (var stream in _streams)
                {
                    stream.Rides.Remove(ride.Id);
                    stream.RemovedRides.Add(ride.Id);
                }
            }
            var expired = _surge.Where(c => c.Value.Until <= now).Select(c => c.Key).ToList();
            foreach (var key in expired)
            {
                _surge.Remove(key);
            }
            _figures.Trim(now);
            foreach (var stream in _streams)
            {
                stream.SurgeChanged |= expired.Count > 0;
                stream.MetricsChanged = true;
                stream.Signal();
            }
        }
    }

    private void RememberClosed(string rideId, int sequence)
    {
        if (_closedSequences.TryAdd(rideId, sequence))
        {
            _closedOrder.Enqueue(rideId);
            while (_closedOrder.Count > RememberedClosedRides)
            {
                _closedSequences.Remove(_closedOrder.Dequeue());
            }
        }
    }

    public ConsoleSnapshot Snapshot()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return new ConsoleSnapshot(now, _cellSize, _freshness.TotalSeconds, Cities(),
                _drivers.Values.Where(d => d.Location is not null).Select(d => d.ToContract()).ToArray(),
                _rides.Values.Where(r => r.Summary is not null).Select(r => r.ToContract()).ToArray(),
                SurgeCells(), Metrics(now));
        }
    }

    /// <summary>A console's subscription to changes; dispose it when the console goes.</summary>
    public ConsoleStream? OpenStream()
    {
        lock (_gate)
        {
            if (_streams.Count >= _options.MaxStreams)
            {
                return null;
            }
            var stream = new ConsoleStream(this);
            _streams.Add(stream);
            return stream;
        }
    }

    internal void Close(ConsoleStream stream)
    {
        lock (_gate)
        {
            _streams.Remove(stream);
        }
    }

    /// <summary>What changed for <paramref name="stream"/> since it last asked, or null if nothing did.</summary>
    internal ConsoleDelta? TakeDelta(ConsoleStream stream)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (stream.Drivers.Count == 0 && stream.Rides.Count == 0 && stream.RemovedDrivers.Count == 0 && stream.RemovedRides.Count == 0 &&
                !stream.SurgeChanged && !stream.MetricsChanged)
            {
                return null;
            }
            var drivers = stream.Drivers.Select(id => _drivers.GetValueOrDefault(id)).OfType<LiveDriver>().Where(d => d.Location is not null)
                .Select(d => d.ToContract()).ToArray();
            var rides = stream.Rides.Select(id => _rides.GetValueOrDefault(id)).OfType<LiveRide>().Where(r => r.Summary is not null)
                .Select(r => r.ToContract()).ToArray();
            var delta = new ConsoleDelta(now, drivers, rides, stream.RemovedDrivers.ToArray(), stream.RemovedRides.ToArray(), SurgeCells(), Metrics(now));
            stream.Drivers.Clear();
            stream.Rides.Clear();
            stream.RemovedDrivers.Clear();
            stream.RemovedRides.Clear();
            stream.SurgeChanged = false;
            stream.MetricsChanged = false;
            return delta;
        }
    }

    /// <summary>The status changes the feed showed for a driver (oldest first), or empty if it is not on the map.</summary>
    public IReadOnlyList<DriverStatusChange> SeenOf(string driverId)
    {
        lock (_gate)
        {
            return _drivers.TryGetValue(driverId, out var driver) ? driver.Seen.ToArray() : [];
        }
    }

    /// <summary>Rides and drivers on the map whose id starts with <paramref name="prefix"/> (ignoring case), at most <paramref name="limit"/> of each.</summary>
    public IReadOnlyList<ConsoleSearchHit> Search(string prefix, int limit)
    {
        lock (_gate)
        {
            var rides = _rides.Values.Where(r => r.Summary is not null && r.Id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .OrderBy(r => r.Id.Length).ThenBy(r => r.Id, StringComparer.Ordinal).Take(limit)
                .Select(r => new ConsoleSearchHit("ride", r.Id, r.Summary!.Status.ToWireName()));
            var drivers = _drivers.Values.Where(d => d.Id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .OrderBy(d => d.Id.Length).ThenBy(d => d.Id, StringComparer.Ordinal).Take(limit)
                .Select(d => new ConsoleSearchHit("driver", d.Id, d.Status.ToWireName()));
            return rides.Concat(drivers).ToArray();
        }
    }

    private ConsoleCity[] Cities() => _markets.CityNames.Select(_markets.City)
        .Select(c => new ConsoleCity(c.Name, c.Dispatch.ToWireName(), c.Surge.Enabled, c.Currency.Code)).ToArray();

    private ConsoleSurgeCell[] SurgeCells() => _surge.Values.Select(c => new ConsoleSurgeCell(c.City, c.Cell.Key,
        c.Cell.MinLatitude, c.Cell.MinLongitude, c.Cell.MaxLatitude, c.Cell.MaxLongitude, SurgeMultiplier.FromBasisPoints(c.BasisPoints), c.Until)).ToArray();

    private ConsoleMetrics Metrics(DateTimeOffset now)
    {
        int available = 0, offered = 0, onTrip = 0, offline = 0, stale = 0;
        foreach (var driver in _drivers.Values)
        {
            if (driver.Location is null)
            {
                continue;
            }
            if (driver.Stale)
            {
                stale++;
                continue;
            }
            switch (driver.Status)
            {
                case DriverStatus.Available: available++; break;
                case DriverStatus.Offered: offered++; break;
                case DriverStatus.OnTrip: onTrip++; break;
                default: offline++; break;
            }
        }
        var open = _rides.Values.Count(r => r.ClosedAt is null && r.Summary is not null);
        return _figures.Read(now, _since, open, new ConsoleDriverCounts(available, offered, onTrip, offline, stale));
    }

    /// <summary>A driver as the feed showed it.</summary>
    private sealed class LiveDriver(string id)
    {
        public string Id { get; } = id;
        public GeoPoint? Location { get; set; }
        public DateTimeOffset? LocationAt { get; set; }
        public DriverStatus Status { get; set; } = DriverStatus.Available;
        public DateTimeOffset StatusAt { get; set; } = DateTimeOffset.MinValue;
        public string? RideId { get; set; }
        public DateTimeOffset HeardAt { get; set; }
        public bool Stale { get; set; }
        public Queue<DriverStatusChange> Seen { get; } = new();

        public ConsoleDriver ToContract() => new(Id, Position.From(Location), Status.ToWireName(), RideId, LocationAt, Stale);
    }

    /// <summary>A ride as the feed showed it: its last event's summary, and what was counted of it.</summary>
    private sealed class LiveRide(string id)
    {
        public string Id { get; } = id;
        public int Sequence { get; set; }
        public RideEventMessage? Summary { get; set; }
        public string? LinkedDriver { get; set; }
        public DateTimeOffset? RequestedAt { get; set; }
        public bool Matched { get; set; }
        public bool RevenueCounted { get; set; }
        public DateTimeOffset HeardAt { get; set; }
        public DateTimeOffset? ClosedAt { get; set; }

        public ConsoleRide ToContract()
        {
            var s = Summary!;
            return new ConsoleRide(Id, s.Status.ToWireName(), s.Name, s.RiderId, s.DriverId, s.Status == RideStatus.Created ? s.OfferedDriverId : null,
                Position.From(s.Pickup), Position.From(s.Dropoff), s.City, s.VehicleClass, s.EstimateMinor, s.Currency, s.PaymentMethod.ToWireName(),
                SurgeMultiplier.FromBasisPoints(s.SurgeBasisPoints), s.CreatedAt, s.At);
        }
    }

    private sealed record LiveSurgeCell(string City, GeoCell Cell, int BasisPoints, DateTimeOffset At, DateTimeOffset Until);
}

/// <summary>
/// One console's view of the changes: ids changed since its last update (their current state is read when it is
/// sent, so a driver that moved ten times in between is sent once), and a signal when there is something to send.
/// </summary>
public sealed class ConsoleStream(LiveCity city) : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    internal HashSet<string> Drivers { get; } = new(StringComparer.Ordinal);
    internal HashSet<string> Rides { get; } = new(StringComparer.Ordinal);
    internal HashSet<string> RemovedDrivers { get; } = new(StringComparer.Ordinal);
    internal HashSet<string> RemovedRides { get; } = new(StringComparer.Ordinal);
    internal bool SurgeChanged { get; set; } = true;
    internal bool MetricsChanged { get; set; } = true;

    /// <summary>Called under the city's lock: wakes the stream's writer unless it is awake already.</summary>
    internal void Signal()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // released by another caller meanwhile: awake either way
            }
        }
    }

    /// <summary>Waits until something changed (or <paramref name="timeout"/> passed).</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    public ConsoleDelta? TakeDelta() => city.TakeDelta(this);

    public void Dispose()
    {
        city.Close(this);
        _signal.Dispose();
    }
}
