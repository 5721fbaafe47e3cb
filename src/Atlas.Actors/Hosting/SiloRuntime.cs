using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Atlas.Actors.Catalog;
using Atlas.Actors.Diagnostics;
using Atlas.Actors.Invocation;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Persistence;
using Atlas.Actors.Placement;
using Atlas.Actors.Reminders;
using Atlas.Actors.Scheduling;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Hosting;

/// <summary>Everything a silo is built from.</summary>
internal sealed record SiloRuntimeSettings(
    SiloAddress Silo,
    string Name,
    IServiceProvider Services,
    SiloOptions SiloOptions,
    MessagingOptions Messaging,
    GrainCollectionOptions Collection,
    SchedulingOptions Scheduling,
    MembershipOptions Membership,
    ReminderOptions Reminders,
    SerializationOptions Serialization,
    ITransport Transport,
    IMembershipTable MembershipTable,
    IReminderTable? ReminderTable,
    IReadOnlyCollection<string> StorageNames,
    ILoggerFactory LoggerFactory,
    TimeProvider Time);

/// <summary>
/// The core of one silo: routes every request (to a local activation or to the owning silo), owns the catalog,
/// placement, messaging, membership and reminders, and runs the periodic sweeps (timeouts, idle collection).
/// </summary>
internal sealed class SiloRuntime : IGrainCallInvoker
{
    private readonly SiloRuntimeSettings _settings;
    private readonly ConcurrentDictionary<string, IGrainStorage> _storages = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly GrainFactory _grainFactory;
    private Task? _maintenance;
    private volatile bool _dead;
    private int _stopState;

    public SiloRuntime(SiloRuntimeSettings settings)
    {
        GrainAssemblies.EnsureRegistered();
        _settings = settings;
        Silo = settings.Silo;
        Name = settings.Name;
        Services = settings.Services;
        TimeProvider = settings.Time;
        Log = new RuntimeLog(settings.LoggerFactory.CreateLogger("Atlas.Actors.Silo"));
        Metrics = new ActorMetrics(settings.Name, () => Catalog!.QueuedRequests);
        _grainFactory = new GrainFactory(this);
        JsonOptions = settings.Serialization.CreateJsonOptions(_grainFactory);
        StateSerializer = new GrainStateSerializer(JsonOptions);
        Catalog = new ActivationCatalog(this);
        Placement = new PlacementService();
        Messages = new MessageCenter(ConnectionIdentity.ForSilo(settings.SiloOptions.ClusterId, Silo), settings.Transport, JsonOptions,
            settings.Messaging, settings.Serialization.MaxMessageSize, Log, RouteInbound);
        Membership = new MembershipAgent(settings.MembershipTable, settings.Membership, Silo, Name, Messages, Placement, Log, TimeProvider, OnDeclaredDead);
        ReminderService = new ReminderService(settings.ReminderTable, this, settings.Reminders, Log, TimeProvider);
        QuantumMilliseconds = (long)settings.Scheduling.TurnQuantum.TotalMilliseconds;
        Placement.ViewChanged += OnViewChanged;
    }

    public SiloAddress Silo { get; }
    public string Name { get; }
    public IServiceProvider Services { get; }
    public IGrainFactory GrainFactory => _grainFactory;
    public JsonSerializerOptions JsonOptions { get; }
    public GrainStateSerializer StateSerializer { get; }
    public ActivationCatalog Catalog { get; }
    public PlacementService Placement { get; }
    public MessageCenter Messages { get; }
    public MembershipAgent Membership { get; }
    public ReminderService ReminderService { get; }
    internal IReminderRegistry Reminders => ReminderService;
    public ActorMetrics Metrics { get; }
    public RuntimeLog Log { get; }
    public TimeProvider TimeProvider { get; }
    public long QuantumMilliseconds { get; }
    public TimeSpan ActivationTimeout => _settings.Collection.ActivationTimeout;
    public TimeSpan DeactivationTimeout => _settings.Collection.DeactivationTimeout;
    public TimeSpan SlowTurnThreshold => _settings.Scheduling.SlowRequestThreshold;
    public TimeSpan DefaultResponseTimeout => _settings.Messaging.ResponseTimeout;

    /// <summary>Completes when the silo has stopped, gracefully or not.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Raised when the cluster declared this silo dead and it stopped itself.</summary>
    public event Action? DeclaredDead;

    public long NextRequestId() => RequestIds.Next();

    public IGrainStorage ResolveStorage(string name) => _storages.GetOrAdd(name, n =>
        Services.GetKeyedService<IGrainStorage>(n) ?? throw MissingStorage(n, null));

    private AtlasConfigurationException MissingStorage(string name, GrainClassMetadata? grainClass) => new(
        $"{(grainClass is null ? "A grain" : $"Grain class {grainClass.GrainClass.FullName}")} uses grain storage '{name}', which is not configured. " +
        $"Configured: {(_settings.StorageNames.Count == 0 ? "none" : string.Join(", ", _settings.StorageNames.Select(s => $"'{s}'")))}. " +
        $"Register it on the silo, e.g. AddMemoryGrainStorage(\"{name}\").");

    // ---- Lifecycle -----------------------------------------------------------------------------------------

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ValidateGrainClasses();
        Log.SiloLifecycle(Silo, "starting");
        await Messages.ListenAsync(cancellationToken);
        await Membership.JoinAsync(cancellationToken);
        await ReminderService.StartAsync(cancellationToken);
        _maintenance = MaintenanceLoopAsync();
        Log.SiloLifecycle(Silo, "active");
    }

    /// <summary>Fails at start-up, naming the problem, rather than at the first call.</summary>
    private void ValidateGrainClasses()
    {
        foreach (var grainClass in GrainRegistry.Classes)
        {
            foreach (var state in grainClass.States)
            {
                if (!_settings.StorageNames.Contains(state.StorageName) && Services.GetKeyedService<IGrainStorage>(state.StorageName) is null)
                {
                    throw MissingStorage(state.StorageName, grainClass);
                }
            }
        }
    }

    /// <summary>
    /// Leaves gracefully: stops being a placement target, deactivates every activation (which writes what grains write
    /// on deactivation and forwards waiting requests to the new owners), waits for forwarded calls, then leaves membership.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _stopState, 1, 0) != 0)
        {
            await Stopped;
            return;
        }
        Log.SiloLifecycle(Silo, "stopping");
        try
        {
            Placement.Exclude(Silo);
            await IgnoreFailure(() => Membership.BeginLeaveAsync(cancellationToken));
            Catalog.StopAcceptingNew();
            await ReminderService.DisposeAsync();
            await Catalog.DeactivateAllAsync(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "the silo is stopping"), DeactivationTimeout);
            await Messages.WaitForQuietAsync(_settings.Messaging.ShutdownQuietPeriod, DefaultResponseTimeout);
            await IgnoreFailure(() => Membership.LeaveAsync(cancellationToken));
        }
        finally
        {
            await ShutDownAsync();
            Log.SiloLifecycle(Silo, "stopped");
        }
    }

    /// <summary>Stops at once without telling anyone or running grain code, as a crashed process would.</summary>
    public async Task KillAsync()
    {
        if (Interlocked.CompareExchange(ref _stopState, 2, 0) != 0)
        {
            await Stopped;
            return;
        }
        _dead = true;
        await Membership.AbandonAsync();
        await ReminderService.DisposeAsync();
        var waiting = Catalog.AbandonAll();
        await ShutDownAsync();
        foreach (var request in waiting)
        {
            request.Fail(new SiloUnavailableException($"{request.Describe()} failed: silo {Silo} stopped."));
        }
        Log.SiloLifecycle(Silo, "killed");
    }

    private void OnDeclaredDead()
    {
        _ = Task.Run(async () =>
        {
            await KillAsync();
            DeclaredDead?.Invoke();
        });
    }

    private async Task ShutDownAsync()
    {
        _dead = true;
        await _stopping.CancelAsync();
        Messages.Close();
        await _settings.Transport.DisposeAsync();
        if (_maintenance is not null)
        {
            await _maintenance;
        }
        Metrics.Dispose();
        _stopped.TrySetResult();
    }

    private static async Task IgnoreFailure(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception)
        {
            // Best effort while leaving: the others will notice through probing.
        }
    }

    // ---- Routing -------------------------------------------------------------------------------------------

    /// <summary>A call made from this silo (from grain code or from a co-hosted front-end).</summary>
    public void Send(GrainRequest request)
    {
        // The precise clock costs as much as the rest of a local call on some VMs: the deadline comes from the coarse
        // clock, and the send time (for the latency histogram) is read only while someone listens to it.
        request.SentTimestamp = Metrics.LatencyEnabled ? Timestamps.Now : 0;
        var timeout = request.Method.Timeout ?? _settings.Messaging.ResponseTimeout;
        request.DeadlineTimestamp = Timestamps.CoarseNow + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        if (ActivationData.Current is { } caller && caller.CurrentRequest is { } parent)
        {
            request.Chain = new CallChain(caller.GrainId, parent.LocalId, parent.Method.Name, parent.Chain);
        }
        Route(request);
    }

    /// <summary>A call made by the runtime itself (reminder ticks).</summary>
    public Task<TResult> SendSystemRequest<TResult>(GrainRequest<TResult> request, GrainId target)
    {
        request.Target = target;
        var task = request.ResultTask;
        Send(request);
        return task;
    }

    private void RouteInbound(GrainRequest request) => Route(request);

    /// <summary>A request that waited at an activation which then deactivated.</summary>
    public void Redeliver(GrainRequest request) => Route(request);

    private void Route(GrainRequest request)
    {
        if (_dead)
        {
            request.Fail(new SiloUnavailableException($"{request.Describe()} failed: silo {Silo} is stopped."));
            return;
        }
        var grainClass = GrainRegistry.FindClass(request.Target.Type);
        if (grainClass is null)
        {
            request.Fail(new AtlasConfigurationException($"No grain class of type '{request.Target.Type}' is loaded on silo {Silo}."));
            return;
        }
        if (grainClass.IsStatelessWorker)
        {
            if (!DeliverLocal(request, grainClass))
            {
                ForwardOrFail(request);
            }
            return;
        }
        var owner = Placement.OwnerOf(request.Target);
        if (owner == Silo || (owner is not null && request.IsRemoteOrigin && request.ForwardCount >= _settings.Messaging.MaxForwardCount))
        {
            if (DeliverLocal(request, grainClass))
            {
                return;
            }
            owner = Placement.OwnerOf(request.Target);
        }
        if (owner is null)
        {
            request.Fail(new SiloUnavailableException($"{request.Describe()} failed: no silo in the cluster view can host it."));
            return;
        }
        if (owner == Silo)
        {
            request.Fail(new SiloUnavailableException($"{request.Describe()} failed: silo {Silo} is shutting down."));
            return;
        }
        if (request.IsRemoteOrigin)
        {
            request.ForwardCount++;
        }
        Messages.SendRequest(owner, request);
    }

    private void ForwardOrFail(GrainRequest request)
    {
        var silos = Placement.Ring.Silos.Where(s => s != Silo).ToArray();
        if (silos.Length == 0)
        {
            request.Fail(new SiloUnavailableException($"{request.Describe()} failed: silo {Silo} is shutting down and no other silo is active."));
            return;
        }
        Messages.SendRequest(silos[Random.Shared.Next(silos.Length)], request);
    }

    private bool DeliverLocal(GrainRequest request, GrainClassMetadata grainClass)
    {
        if (!request.ArgumentsIsolated)
        {
            try
            {
                request.IsolateArguments(JsonOptions);
            }
            catch (GrainSerializationException exception)
            {
                request.Fail(exception);
                return true;
            }
            request.ArgumentsIsolated = true;
        }
        return Catalog.Deliver(request, grainClass);
    }

    // ---- Reacting to the view ------------------------------------------------------------------------------

    private void OnViewChanged(MembershipView view)
    {
        if (_stopState != 0 || !Placement.Ring.Silos.Contains(Silo))
        {
            return;
        }
        // Grains whose owner moved deactivate here; their next call activates them on the owner.
        foreach (var activation in Catalog.All)
        {
            if (!activation.Class.IsStatelessWorker && Placement.OwnerOf(activation.GrainId) != Silo)
            {
                activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.PlacementChanged, $"view {view.Version} places it elsewhere"));
            }
        }
    }

    // ---- Sweeps --------------------------------------------------------------------------------------------

    private TimeSpan SweepInterval()
    {
        var shortest = GrainRegistry.ShortestMethodTimeout is { } method && method < _settings.Messaging.ResponseTimeout
            ? method
            : _settings.Messaging.ResponseTimeout;
        return TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 5, 10, 1000));
    }

    private async Task MaintenanceLoopAsync()
    {
        var token = _stopping.Token;
        var nextCollection = Timestamps.After(_settings.Collection.CollectionQuantum);
        try
        {
            using var timer = new PeriodicTimer(SweepInterval());
            while (await timer.WaitForNextTickAsync(token))
            {
                var now = Timestamps.Now;
                foreach (var activation in Catalog.All)
                {
                    activation.ExpireRequests(now);
                }
                Messages.ExpirePending(now, TimeSpan.FromSeconds(1));
                if (now >= nextCollection)
                {
                    nextCollection = Timestamps.After(_settings.Collection.CollectionQuantum);
                    CollectIdleActivations();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void CollectIdleActivations()
    {
        foreach (var activation in Catalog.All)
        {
            if (activation.Class.AlwaysActive)
            {
                continue;
            }
            var age = activation.Class.CollectionAge ?? _settings.Collection.CollectionAge;
            if (activation.IsIdleLongerThan(age))
            {
                activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.ActivationIdle, $"idle for more than {age}"));
            }
        }
    }
}
