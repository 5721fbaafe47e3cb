using Atlas.Actors.Scheduling;

namespace Atlas.Actors;

/// <summary>
/// Base class of grain implementations. One activation handles one request at a time (unless the class opts out),
/// and holds it across its awaits. Instances are created by the runtime.
/// </summary>
public abstract class Grain
{
    private readonly ActivationData? _activation;

    protected Grain()
    {
        _activation = ActivationData.Constructing;
    }

    private ActivationData Activation => _activation
        ?? throw new InvalidOperationException($"{GetType().Name} was not created by the Atlas runtime; grains are activated by calling them through a reference.");

    /// <summary>This grain's identity.</summary>
    public GrainId GrainId => Activation.GrainId;

    /// <summary>For logs: the grain id and the silo the activation lives on.</summary>
    public string IdentityString => $"{GrainId}@{Activation.Silo}";

    /// <summary>The silo this activation lives on.</summary>
    protected SiloAddress Silo => Activation.Silo;

    /// <summary>Makes references to other grains.</summary>
    protected IGrainFactory GrainFactory => Activation.GrainFactory;

    /// <summary>The silo's services.</summary>
    protected IServiceProvider ServiceProvider => Activation.Services;

    public string GetPrimaryKeyString() => GrainId.Key;

    public Guid GetPrimaryKey() => GrainId.GetGuidKey();

    public long GetPrimaryKeyLong() => GrainId.GetIntegerKey();

    /// <summary>Runs after the persistent states are loaded and before the first request.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs when the activation is deactivated gracefully (not when its silo crashes).</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates this activation once the running requests complete.</summary>
    protected void DeactivateOnIdle() => Activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle"));

    /// <summary>Keeps this activation from idle collection for at least <paramref name="timeSpan"/>.</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => Activation.DelayDeactivation(timeSpan);

    /// <summary>Registers a timer whose callback runs as a turn of this activation.</summary>
    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options) =>
        Activation.RegisterTimer(callback, state, options);

    /// <summary>Registers a timer whose callback runs as a turn of this activation.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        Activation.RegisterTimer(static (cb, ct) => cb(ct), callback, new GrainTimerCreationOptions(dueTime, period));

    /// <summary>Registers or updates a durable reminder; the grain must implement <see cref="IRemindable"/>.</summary>
    protected Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period) =>
        Activation.Reminders.RegisterOrUpdateAsync(Activation, reminderName, dueTime, period);

    protected Task UnregisterReminder(IGrainReminder reminder) => Activation.Reminders.UnregisterAsync(GrainId, reminder);

    protected Task<IGrainReminder?> GetReminder(string reminderName) => Activation.Reminders.GetAsync(GrainId, reminderName);

    protected Task<IReadOnlyList<IGrainReminder>> GetReminders() => Activation.Reminders.GetAllAsync(GrainId);

    /// <summary>A reference to this grain through one of its interfaces, to hand to other grains.</summary>
    public TGrainInterface AsReference<TGrainInterface>() where TGrainInterface : IAddressable =>
        GrainFactory.GetGrain<TGrainInterface>(GrainId);
}
