using Atlas.Actors.Invocation;
using Atlas.Actors.Scheduling;

namespace Atlas.Actors.Timers;

/// <summary>
/// A grain timer. Each tick is queued to the activation as a request, so it runs as a turn (waiting for running
/// requests unless it interleaves); the next tick is scheduled only after the callback completes, so ticks never overlap.
/// </summary>
internal sealed class GrainTimer<TState> : IGrainTimer, IActivationTimer
{
    private readonly ActivationData _activation;
    private readonly Func<TState, CancellationToken, Task> _callback;
    private readonly TState _state;
    private readonly bool _interleave;
    private readonly bool _keepAlive;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopped = new();
    private readonly object _lock = new();
    private ITimer? _timer;
    private TimeSpan _dueTime;
    private TimeSpan _period;
    private bool _tickInFlight;

    public GrainTimer(ActivationData activation, Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options, TimeProvider timeProvider)
    {
        if (options.DueTime < TimeSpan.Zero && options.DueTime != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "DueTime must be zero or positive (or infinite).");
        }
        if (options.Period < TimeSpan.Zero && options.Period != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Period must be zero or positive (or infinite).");
        }
        _activation = activation;
        _callback = callback;
        _state = state;
        _interleave = options.Interleave;
        _keepAlive = options.KeepAlive;
        _timeProvider = timeProvider;
        _dueTime = options.DueTime;
        _period = options.Period;
    }

    public void Start()
    {
        lock (_lock)
        {
            _timer = _timeProvider.CreateTimer(static s => ((GrainTimer<TState>)s!).OnDue(), this, _dueTime, Timeout.InfiniteTimeSpan);
        }
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            _dueTime = dueTime;
            _period = period;
            if (!_tickInFlight)
            {
                _timer?.Change(dueTime, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnDue()
    {
        lock (_lock)
        {
            if (_stopped.IsCancellationRequested || _tickInFlight)
            {
                return;
            }
            _tickInFlight = true;
        }
        var tick = new Tick(this, _interleave, _keepAlive) { Target = _activation.GrainId };
        if (!_activation.TryEnqueue(tick))
        {
            Stop();
        }
    }

    internal async Task RunCallbackAsync()
    {
        try
        {
            await _callback(_state, _stopped.Token);
        }
        catch (Exception exception)
        {
            // Logged; the timer keeps ticking (as in Orleans).
            _activation.OnTurnFailed(exception);
        }
        finally
        {
            lock (_lock)
            {
                _tickInFlight = false;
                if (!_stopped.IsCancellationRequested && _period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan)
                {
                    _timer?.Change(_period, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    public void Stop()
    {
        lock (_lock)
        {
            if (_stopped.IsCancellationRequested)
            {
                return;
            }
            _stopped.Cancel();
            _timer?.Dispose();
        }
    }

    public void Dispose()
    {
        Stop();
        _activation.OnTimerDisposed(this);
    }

    private sealed class Tick(GrainTimer<TState> timer, bool interleave, bool keepAlive) : TimerTickRequest(interleave, keepAlive)
    {
        protected override ValueTask<NoResult> InvokeCore(object grain) => NoResult.From(timer.RunCallbackAsync());
    }
}
