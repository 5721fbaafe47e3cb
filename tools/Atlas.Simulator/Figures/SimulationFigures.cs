using System.Collections.Concurrent;
using System.Diagnostics;

namespace Atlas.Simulator.Figures;

/// <summary>What part of the run a request belongs to: only <see cref="Running"/> counts towards the figures.</summary>
public enum RunPhase
{
    /// <summary>Tokens, registration, the first positions, then the ramp-up (the city runs, unmeasured): before the clock runs.</summary>
    SettingUp,
    Running,
    /// <summary>Open rides cancelled or finished, drivers going offline: after the clock stopped.</summary>
    WindingUp,
}

/// <summary>The running totals of one simulation, updated by every agent at once.</summary>
public sealed class SimulationFigures
{
    private const int MaxErrorSamples = 5;
    private readonly ConcurrentQueue<string> _errorSamples = new();
    private readonly ConcurrentQueue<string> _windUpErrorSamples = new();
    private readonly Stopwatch _clock = new();
    private long _ridesRequested, _ridesMatched, _ridesNoDriver, _ridesFinished, _ridesCancelled, _ridesSkipped;
    private long _offersAccepted, _offersDeclined, _offersLost, _topUps, _offlinePeriods;
    private long _apiRequests, _positions, _errors, _windUpErrors, _driversOnline;
    private volatile RunPhase _phase = RunPhase.SettingUp;

    public Samples TimeToMatch { get; } = new();

    public Samples ApiLatency { get; } = new();

    /// <summary>The same latencies by route (<c>POST /customer/ride/request</c>), to see which one is slow.</summary>
    public ConcurrentDictionary<string, Samples> ApiLatencyByRoute { get; } = new(StringComparer.Ordinal);

    public RunPhase Phase => _phase;

    /// <summary>Seconds since the clock started (the end of set-up).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public void Start()
    {
        _phase = RunPhase.Running;
        _clock.Start();
    }

    public void WindUp()
    {
        _phase = RunPhase.WindingUp;
        _clock.Stop();
    }

    public long RidesRequested => Interlocked.Read(ref _ridesRequested);
    public long RidesMatched => Interlocked.Read(ref _ridesMatched);
    public long RidesNoDriver => Interlocked.Read(ref _ridesNoDriver);
    public long RidesFinished => Interlocked.Read(ref _ridesFinished);
    public long RidesCancelled => Interlocked.Read(ref _ridesCancelled);
    public long RidesSkipped => Interlocked.Read(ref _ridesSkipped);
    public long OffersAccepted => Interlocked.Read(ref _offersAccepted);
    public long OffersDeclined => Interlocked.Read(ref _offersDeclined);
    public long OffersLost => Interlocked.Read(ref _offersLost);
    public long TopUps => Interlocked.Read(ref _topUps);
    public long OfflinePeriods => Interlocked.Read(ref _offlinePeriods);
    public long ApiRequests => Interlocked.Read(ref _apiRequests);
    public long Positions => Interlocked.Read(ref _positions);
    public long Errors => Interlocked.Read(ref _errors);
    public long WindUpErrors => Interlocked.Read(ref _windUpErrors);
    public long DriversOnline => Interlocked.Read(ref _driversOnline);
    public IReadOnlyCollection<string> ErrorSamples => _errorSamples;
    public IReadOnlyCollection<string> WindUpErrorSamples => _windUpErrorSamples;

    public void RideRequested() => Count(ref _ridesRequested);
    public void RideNoDriver() => Count(ref _ridesNoDriver);
    public void RideFinished() => Count(ref _ridesFinished);
    public void RideCancelled() => Count(ref _ridesCancelled);
    /// <summary>A request was due but every rider had a ride open.</summary>
    public void RideSkipped() => Count(ref _ridesSkipped);
    public void OfferAccepted() => Count(ref _offersAccepted);
    public void OfferDeclined() => Count(ref _offersDeclined);
    /// <summary>An offer that was gone (expired or withdrawn) when the driver answered.</summary>
    public void OfferLost() => Count(ref _offersLost);
    /// <summary>A wallet top-up, counted in every phase (drivers top up while they are set up).</summary>
    public void ToppedUp() => Interlocked.Increment(ref _topUps);
    public void WentOffline() => Count(ref _offlinePeriods);
    public void DriverOnline(int delta) => Interlocked.Add(ref _driversOnline, delta);

    public void RideMatched(TimeSpan afterRequest)
    {
        Count(ref _ridesMatched);
        if (_phase == RunPhase.Running)
        {
            TimeToMatch.Add(afterRequest.TotalMilliseconds);
        }
    }

    public void PositionsAccepted(long count)
    {
        if (_phase == RunPhase.Running)
        {
            Interlocked.Add(ref _positions, count);
        }
    }

    public void ApiAnswered(string route, TimeSpan latency)
    {
        if (_phase == RunPhase.Running)
        {
            Interlocked.Increment(ref _apiRequests);
            ApiLatency.Add(latency.TotalMilliseconds);
            ApiLatencyByRoute.GetOrAdd(route, _ => new Samples()).Add(latency.TotalMilliseconds);
        }
    }

    /// <summary>Events count from the clock's start (set-up and ramp-up excluded), wind-up included.</summary>
    private void Count(ref long counter)
    {
        if (_phase != RunPhase.SettingUp)
        {
            Interlocked.Increment(ref counter);
        }
    }

    /// <summary>A request that failed or was answered in a way the simulated apps do not expect.</summary>
    public void Error(string what)
    {
        if (_phase == RunPhase.WindingUp)
        {
            Interlocked.Increment(ref _windUpErrors);
            if (_windUpErrorSamples.Count < MaxErrorSamples)
            {
                _windUpErrorSamples.Enqueue(what);
            }
            return;
        }
        Interlocked.Increment(ref _errors);
        if (_errorSamples.Count < MaxErrorSamples)
        {
            _errorSamples.Enqueue(what);
        }
    }
}
