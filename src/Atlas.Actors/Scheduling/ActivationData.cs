using System.Text.Json;
using Atlas.Actors.Catalog;
using Atlas.Actors.Hosting;
using Atlas.Actors.Invocation;
using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Atlas.Actors.Timers;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Scheduling;

/// <summary>
/// One activation of a grain: its mailbox, its single-threaded execution context and its lifecycle.
/// <para>
/// Every turn of grain code runs through <see cref="Execute"/>, which installs the activation as the
/// <see cref="SynchronizationContext"/>, so continuations of the grain's awaits are posted back here and never run
/// in parallel. A request holds the activation from admission until its task completes, across its awaits, unless
/// the class or method opts into interleaving.
/// </para>
/// </summary>
internal sealed class ActivationData : SynchronizationContext, IThreadPoolWorkItem, IGrainActivationContext
{
    /// <summary>The activation whose grain is being constructed on this thread (read by <see cref="Grain"/>'s constructor).</summary>
    [ThreadStatic]
    internal static ActivationData? Constructing;

    /// <summary>The request a continuation belongs to when requests interleave; otherwise the blocking request is current.</summary>
    private static readonly AsyncLocal<GrainRequest?> InterleavedRequest = new();

    private readonly SiloRuntime _host;
    private ActivationState _state = ActivationState.Created;
    private object? _grain;

    // Mailbox: an intrusive FIFO of requests, and a ring of posted continuations.
    private GrainRequest? _head;
    private GrainRequest? _tail;
    private int _queued;
    private (SendOrPostCallback Callback, object? State)[]? _work;
    private int _workHead;
    private int _workCount;
    private bool _scheduled;

    // Running requests: the one admitted alone, and those admitted beside it.
    private GrainRequest? _blocking;
    private List<GrainRequest>? _interleaved;
    private int _running;
    private int _runningWriters;

    // Coarse milliseconds (Timestamps.CoarseMilliseconds): read on every turn, judged in seconds.
    private long _lastActivity = Timestamps.CoarseMilliseconds;
    private long _keepAliveUntil;
    private DeactivationReason? _deactivationRequested;
    private List<IActivationState>? _states;
    private List<IActivationTimer>? _timers;

    public ActivationData(GrainId grainId, GrainClassMetadata grainClass, SiloRuntime host)
    {
        GrainId = grainId;
        Class = grainClass;
        _host = host;
    }

    public GrainId GrainId { get; }

    public GrainClassMetadata Class { get; }

    public SiloAddress Silo => _host.Silo;

    public IGrainFactory GrainFactory => _host.GrainFactory;

    public IServiceProvider Services => _host.Services;

    public JsonSerializerOptions JsonOptions => _host.JsonOptions;

    internal IReminderRegistry Reminders => _host.Reminders;

    /// <summary>Requests waiting or running: how busy this activation is.</summary>
    public int Load => Volatile.Read(ref _queued) + Volatile.Read(ref _running);

    /// <summary>Requests waiting in the mailbox.</summary>
    public int QueueLength => Volatile.Read(ref _queued);

    public bool IsValid => _state == ActivationState.Valid;

    public bool IsInvalid => _state == ActivationState.Invalid;

    /// <summary>The activation whose turn is running on this thread, if any.</summary>
    public static new ActivationData? Current => SynchronizationContext.Current as ActivationData;

    /// <summary>The request the running code belongs to (for the call chain of outgoing calls).</summary>
    public GrainRequest? CurrentRequest => InterleavedRequest.Value ?? _blocking;

    // ---- Arrival -------------------------------------------------------------------------------------------

    /// <summary>
    /// Queues a request. Returns false if this activation is gone (the caller routes again). A request that would
    /// deadlock on its own call chain fails at once with <see cref="CallCycleException"/>.
    /// </summary>
    public bool TryEnqueue(GrainRequest request)
    {
        CallCycleException? cycle = null;
        lock (this)
        {
            if (_state == ActivationState.Invalid)
            {
                return false;
            }
            // A one-way call cannot deadlock: nobody waits for it.
            if (request.Chain is not null && !request.Method.IsOneWay && !MayInvoke(request))
            {
                cycle = DetectCycle(request);
            }
            if (cycle is null)
            {
                request.Activation = this;
                request.NextQueued = null;
                if (_tail is null)
                {
                    _head = _tail = request;
                }
                else
                {
                    _tail.NextQueued = request;
                    _tail = request;
                }
                _queued++;
                ScheduleLocked();
            }
        }
        if (cycle is not null)
        {
            _host.Metrics.CallCycle();
            _host.Log.CallCycle(cycle.Message);
            request.Fail(cycle);
        }
        return true;
    }

    private CallCycleException? DetectCycle(GrainRequest request)
    {
        // The cycle is real if a request of this activation that is running now is waiting on the chain.
        var links = request.Chain!.FromRoot();
        for (var i = 0; i < links.Count; i++)
        {
            if (links[i].Grain.Equals(GrainId) && IsRunning(links[i].RequestId))
            {
                var cycle = new List<string>(links.Count - i + 1);
                for (var j = i; j < links.Count; j++)
                {
                    cycle.Add($"{links[j].Grain}.{links[j].Method}");
                }
                cycle.Add($"{GrainId}.{request.Method.Name}");
                return new CallCycleException(cycle);
            }
        }
        return null;
    }

    private bool IsRunning(long requestId)
    {
        if (_blocking?.LocalId == requestId)
        {
            return true;
        }
        if (_interleaved is not null)
        {
            foreach (var running in _interleaved)
            {
                if (running.LocalId == requestId)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private bool ChainIsRunningHere(GrainRequest request)
    {
        for (var link = request.Chain; link is not null; link = link.Parent)
        {
            if (link.Grain.Equals(GrainId) && IsRunning(link.RequestId))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="request"/> may start now, given what is running.</summary>
    private bool MayInvoke(GrainRequest request)
    {
        if (_running == 0 || Class.IsReentrant || request.Method.IsAlwaysInterleave)
        {
            return true;
        }
        if (request.Method.IsReadOnly && _runningWriters == 0)
        {
            return true;
        }
        return Class.AllowsCallChainReentrancy && request.Chain is not null && ChainIsRunningHere(request);
    }

    // ---- Execution -----------------------------------------------------------------------------------------

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (this)
        {
            _work ??= new (SendOrPostCallback, object?)[4];
            if (_workCount == _work.Length)
            {
                var grown = new (SendOrPostCallback, object?)[_work.Length * 2];
                for (var i = 0; i < _workCount; i++)
                {
                    grown[i] = _work[(_workHead + i) % _work.Length];
                }
                _work = grown;
                _workHead = 0;
            }
            _work[(_workHead + _workCount) % _work.Length] = (d, state);
            _workCount++;
            ScheduleLocked();
        }
    }

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous sends into a grain's context are not supported.");

    public override SynchronizationContext CreateCopy() => this;

    private void ScheduleLocked()
    {
        if (!_scheduled && _state != ActivationState.Abandoned)
        {
            _scheduled = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Runs turns until nothing is runnable or the scheduling quantum is used up.</summary>
    public void Execute()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(this);
        var quantumEnd = Timestamps.CoarseMilliseconds + _host.QuantumMilliseconds;
        try
        {
            while (true)
            {
                SendOrPostCallback? callback = null;
                object? callbackState = null;
                GrainRequest? request = null;
                var step = LifecycleStep.None;
                lock (this)
                {
                    if (_state == ActivationState.Abandoned)
                    {
                        _scheduled = false;
                        return;
                    }
                    if (_workCount > 0)
                    {
                        (callback, callbackState) = _work![_workHead];
                        _work[_workHead] = default;
                        _workHead = (_workHead + 1) % _work.Length;
                        _workCount--;
                    }
                    else if ((step = NextLifecycleStepLocked()) == LifecycleStep.None && (request = AdmitLocked()) is null)
                    {
                        _scheduled = false;
                        return;
                    }
                }

                if (callback is not null)
                {
                    RunContinuation(callback, callbackState);
                }
                else if (step != LifecycleStep.None)
                {
                    RunLifecycleStep(step);
                }
                else
                {
                    RunRequest(request!);
                }

                if (Timestamps.CoarseMilliseconds >= quantumEnd)
                {
                    // Yield the thread; stay scheduled so nothing is lost.
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                    return;
                }
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    internal void OnTurnFailed(Exception exception) => _host.Log.TurnFailed(GrainId, exception);

    private void RunContinuation(SendOrPostCallback callback, object? state)
    {
        try
        {
            callback(state);
        }
        catch (Exception exception)
        {
            _host.Log.TurnFailed(GrainId, exception);
        }
    }

    /// <summary>Takes the next request that may start, marking it running; null if none may.</summary>
    private GrainRequest? AdmitLocked()
    {
        if (_state != ActivationState.Valid || _deactivationRequested is not null || _head is null)
        {
            return null;
        }
        GrainRequest? previous = null;
        for (var candidate = _head; candidate is not null; previous = candidate, candidate = candidate.NextQueued)
        {
            // The head goes first; a later request may overtake it only if it interleaves regardless of order.
            var mayOvertake = candidate == _head || candidate.Method.IsAlwaysInterleave ||
                              (Class.AllowsCallChainReentrancy && candidate.Chain is not null && ChainIsRunningHere(candidate));
            if (!mayOvertake)
            {
                continue;
            }
            if (candidate.IsCompleted || MayInvoke(candidate))
            {
                Unlink(previous, candidate);
                if (candidate.IsCompleted)
                {
                    // Timed out while it waited: drop it and look again.
                    return AdmitLocked();
                }
                MarkRunningLocked(candidate);
                return candidate;
            }
        }
        return null;
    }

    private void Unlink(GrainRequest? previous, GrainRequest request)
    {
        if (previous is null)
        {
            _head = request.NextQueued;
        }
        else
        {
            previous.NextQueued = request.NextQueued;
        }
        if (_tail == request)
        {
            _tail = previous;
        }
        request.NextQueued = null;
        _queued--;
    }

    private void MarkRunningLocked(GrainRequest request)
    {
        request.LocalId = _host.NextRequestId();
        request.StartedMilliseconds = Timestamps.CoarseMilliseconds;
        if (_running == 0)
        {
            _blocking = request;
        }
        else
        {
            (_interleaved ??= []).Add(request);
        }
        _running++;
        if (!request.Method.IsReadOnly)
        {
            _runningWriters++;
        }
    }

    private void RunRequest(GrainRequest request)
    {
        var interleaved = _blocking != request;
        if (interleaved)
        {
            InterleavedRequest.Value = request;
        }
        try
        {
            request.Run(this, _grain!);
        }
        finally
        {
            if (interleaved)
            {
                InterleavedRequest.Value = null;
            }
        }
    }

    /// <summary>Called (inside this context) when a request's task completes.</summary>
    public void OnRequestFinished(GrainRequest request, Exception? exception)
    {
        var now = Timestamps.CoarseMilliseconds;
        lock (this)
        {
            if (_blocking == request)
            {
                _blocking = null;
            }
            else
            {
                _interleaved?.Remove(request);
            }
            _running--;
            if (!request.Method.IsReadOnly)
            {
                _runningWriters--;
            }
            if (request is not TimerTickRequest { KeepAlive: false })
            {
                _lastActivity = now;
            }
            if (exception is InconsistentStateException)
            {
                _deactivationRequested ??= new DeactivationReason(DeactivationReasonCode.ApplicationError,
                    "an InconsistentStateException escaped a grain method; the next call reloads the stored state");
            }
        }
        _host.Metrics.CallCompleted(request.SentTimestamp);
        var elapsedMs = now - request.StartedMilliseconds;
        if (elapsedMs > _host.SlowTurnThreshold.TotalMilliseconds)
        {
            _host.Log.SlowRequest(request.Describe(), elapsedMs);
        }
    }

    // ---- Lifecycle -----------------------------------------------------------------------------------------

    private enum LifecycleStep
    {
        None,
        Activate,
        Deactivate,
    }

    private LifecycleStep NextLifecycleStepLocked()
    {
        if (_state == ActivationState.Created)
        {
            _state = ActivationState.Activating;
            return LifecycleStep.Activate;
        }
        if (_state == ActivationState.Valid && _deactivationRequested is not null && _running == 0)
        {
            _state = ActivationState.Deactivating;
            return LifecycleStep.Deactivate;
        }
        return LifecycleStep.None;
    }

    private void RunLifecycleStep(LifecycleStep step)
    {
        _ = step == LifecycleStep.Activate ? ActivateAsync() : DeactivateAsync(_deactivationRequested!.Value);
    }

    private async Task ActivateAsync()
    {
        try
        {
            Constructing = this;
            try
            {
                _grain = Class.Factory(this);
            }
            finally
            {
                Constructing = null;
            }
            if (_states is not null)
            {
                foreach (var state in _states)
                {
                    await state.ReadAsync(CancellationToken.None);
                }
            }
            using var timeout = new CancellationTokenSource(_host.ActivationTimeout);
            await ((Grain)_grain).OnActivateAsync(timeout.Token);
        }
        catch (Exception exception)
        {
            _host.Log.ActivationFailed(GrainId, exception);
            var waiting = InvalidateAndTakeQueue();
            _host.Catalog.OnActivationRemoved(this);
            foreach (var request in waiting)
            {
                request.Fail(exception);
            }
            return;
        }
        lock (this)
        {
            // A shutdown or kill may have started while we activated.
            if (_state == ActivationState.Activating)
            {
                _state = ActivationState.Valid;
            }
            _lastActivity = Timestamps.CoarseMilliseconds;
        }
        _host.Metrics.ActivationCreated();
    }

    private async Task DeactivateAsync(DeactivationReason reason)
    {
        _host.Log.Deactivating(GrainId, reason.ToString());
        DisposeTimers();
        try
        {
            using var timeout = new CancellationTokenSource(_host.DeactivationTimeout);
            await ((Grain)_grain!).OnDeactivateAsync(reason, timeout.Token);
        }
        catch (Exception exception)
        {
            _host.Log.DeactivationFailed(GrainId, exception);
        }
        var waiting = InvalidateAndTakeQueue();
        _host.Catalog.OnActivationRemoved(this);
        _host.Metrics.ActivationRemoved();
        CompleteDeactivation();
        foreach (var request in waiting)
        {
            // Route again: a new activation, here or on the grain's new owner.
            _host.Redeliver(request);
        }
    }

    private TaskCompletionSource? _deactivated;

    /// <summary>Completes when this activation is gone.</summary>
    public Task Deactivated
    {
        get
        {
            lock (this)
            {
                if (_state is ActivationState.Invalid or ActivationState.Abandoned)
                {
                    return Task.CompletedTask;
                }
                return (_deactivated ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    private void CompleteDeactivation()
    {
        TaskCompletionSource? done;
        lock (this)
        {
            done = _deactivated;
        }
        done?.TrySetResult();
    }

    private List<GrainRequest> InvalidateAndTakeQueue()
    {
        var waiting = new List<GrainRequest>();
        lock (this)
        {
            if (_state != ActivationState.Abandoned)
            {
                _state = ActivationState.Invalid;
            }
            for (var request = _head; request is not null;)
            {
                var next = request.NextQueued;
                request.NextQueued = null;
                request.Activation = null;
                if (!request.IsCompleted)
                {
                    waiting.Add(request);
                }
                request = next;
            }
            _head = _tail = null;
            _queued = 0;
        }
        return waiting;
    }

    /// <summary>Asks for deactivation once running requests complete. Returns false if it is already going.</summary>
    public bool RequestDeactivation(DeactivationReason reason)
    {
        lock (this)
        {
            if (_state is ActivationState.Invalid or ActivationState.Abandoned or ActivationState.Deactivating || _deactivationRequested is not null)
            {
                return false;
            }
            _deactivationRequested = reason;
            if (_state == ActivationState.Valid)
            {
                ScheduleLocked();
            }
            return true;
        }
    }

    /// <summary>Stops the activation without running any grain code, as a crash of its silo would.</summary>
    public List<GrainRequest> Abandon()
    {
        lock (this)
        {
            _state = ActivationState.Abandoned;
        }
        DisposeTimers();
        var waiting = InvalidateAndTakeQueue();
        CompleteDeactivation();
        return waiting;
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        lock (this)
        {
            _keepAliveUntil = timeSpan <= TimeSpan.Zero ? 0 : Timestamps.CoarseMilliseconds + (long)timeSpan.TotalMilliseconds;
        }
    }

    /// <summary>Whether this activation is idle and older than <paramref name="age"/> since its last activity.</summary>
    public bool IsIdleLongerThan(TimeSpan age)
    {
        lock (this)
        {
            var now = Timestamps.CoarseMilliseconds;
            return _state == ActivationState.Valid && _running == 0 && _queued == 0 && _workCount == 0 &&
                   now > _keepAliveUntil && now - _lastActivity > age.TotalMilliseconds;
        }
    }

    /// <summary>Fails waiting or running requests whose deadline passed, saying what the activation is busy with.</summary>
    public void ExpireRequests(long now)
    {
        List<GrainRequest>? expired = null;
        lock (this)
        {
            for (var request = _head; request is not null; request = request.NextQueued)
            {
                if (request.DeadlineTimestamp != 0 && request.DeadlineTimestamp < now && !request.IsCompleted)
                {
                    (expired ??= []).Add(request);
                }
            }
            if (_blocking is { IsCompleted: false } blocking && blocking.DeadlineTimestamp != 0 && blocking.DeadlineTimestamp < now)
            {
                (expired ??= []).Add(blocking);
            }
            if (_interleaved is not null)
            {
                foreach (var running in _interleaved)
                {
                    if (!running.IsCompleted && running.DeadlineTimestamp != 0 && running.DeadlineTimestamp < now)
                    {
                        (expired ??= []).Add(running);
                    }
                }
            }
        }
        if (expired is null)
        {
            return;
        }
        foreach (var request in expired)
        {
            var exception = new GrainCallTimeoutException(DescribeTimeout(request));
            _host.Metrics.CallTimedOut();
            _host.Log.CallTimedOut(exception.Message);
            request.Fail(exception);
        }
    }

    private string DescribeTimeout(GrainRequest request)
    {
        var timeout = request.Method.Timeout ?? _host.DefaultResponseTimeout;
        var busy = DescribeBusy(request);
        return $"Response did not arrive on time: {request.Method.DisplayName} on {GrainId} (silo {Silo}) timed out after {timeout.TotalSeconds:0.###} s. {busy}";
    }

    /// <summary>What this activation is doing, for timeout messages.</summary>
    public string DescribeBusy(GrainRequest? subject = null)
    {
        lock (this)
        {
            var running = new List<string>();
            if (_blocking is not null)
            {
                running.Add(DescribeRunning(_blocking, subject));
            }
            if (_interleaved is not null)
            {
                running.AddRange(_interleaved.Select(r => DescribeRunning(r, subject)));
            }
            var waitingAhead = 0;
            for (var request = _head; request is not null && request != subject; request = request.NextQueued)
            {
                waitingAhead++;
            }
            var state = _state switch
            {
                ActivationState.Activating => " The activation was still activating (OnActivateAsync or state read).",
                ActivationState.Deactivating => " The activation was deactivating.",
                _ => "",
            };
            var runningText = running.Count == 0 ? "The activation was running nothing" : $"The activation was running {string.Join(", ", running)}";
            return $"{runningText}; {_queued} request(s) waiting{(subject is not null && subject.Activation == this && !IsRunning(subject.LocalId) ? $", {waitingAhead} ahead of this one" : "")}.{state}";
        }
    }

    private static string DescribeRunning(GrainRequest request, GrainRequest? subject) =>
        request == subject
            ? $"this request itself for {RunningSeconds(request):0.###} s"
            : $"{request.Method.DisplayName} for {RunningSeconds(request):0.###} s";

    private static double RunningSeconds(GrainRequest request) => (Timestamps.CoarseMilliseconds - request.StartedMilliseconds) / 1000.0;

    // ---- Grain services --------------------------------------------------------------------------------------

    public TService GetRequiredService<TService>() where TService : notnull =>
        (TService?)Services.GetService(typeof(TService)) ?? throw new AtlasConfigurationException(
            $"Grain class {Class.GrainClass.FullName} needs a {typeof(TService).FullName} in its constructor, but no such service is registered on silo {Silo}.");

    public IPersistentState<TState> GetPersistentState<TState>(string stateName, string storageName) where TState : new()
    {
        var storage = _host.ResolveStorage(storageName);
        var state = new PersistentState<TState>(this, stateName, storage);
        (_states ??= []).Add(state);
        return state;
    }

    /// <summary>A failed state write leaves memory ahead of (or behind) storage: reload on the next call.</summary>
    internal void OnStateWriteFailed(string stateName, Exception exception)
    {
        lock (this)
        {
            _deactivationRequested ??= new DeactivationReason(DeactivationReasonCode.ApplicationError,
                $"writing state '{stateName}' failed ({exception.GetType().Name}); the next call reloads the stored state");
        }
    }

    public IGrainTimer RegisterTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new GrainTimer<TState>(this, callback, state, options, _host.TimeProvider);
        lock (this)
        {
            if (_state is ActivationState.Invalid or ActivationState.Abandoned)
            {
                throw new InvalidOperationException($"Activation {GrainId} is no longer active.");
            }
            (_timers ??= []).Add(timer);
        }
        timer.Start();
        return timer;
    }

    internal void OnTimerDisposed(IActivationTimer timer)
    {
        lock (this)
        {
            _timers?.Remove(timer);
        }
    }

    private void DisposeTimers()
    {
        List<IActivationTimer>? timers;
        lock (this)
        {
            timers = _timers;
            _timers = null;
        }
        if (timers is not null)
        {
            foreach (var timer in timers)
            {
                timer.Stop();
            }
        }
    }

    public override string ToString() => $"[Activation {GrainId} on {Silo} {_state}]";
}

internal enum ActivationState
{
    Created,
    Activating,
    Valid,
    Deactivating,
    Invalid,
    Abandoned,
}

/// <summary>Something an activation must load before <see cref="Grain.OnActivateAsync"/>.</summary>
internal interface IActivationState
{
    Task ReadAsync(CancellationToken cancellationToken);
}

/// <summary>A timer owned by an activation.</summary>
internal interface IActivationTimer
{
    void Stop();
}
