using Atlas.Actors.Catalog;
using Atlas.Actors.Membership;
using Atlas.Actors.Messaging;
using Atlas.Actors.Persistence;
using Atlas.Actors.Reminders;
using Atlas.Actors.Scheduling;
using Atlas.Actors.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Atlas.Actors.Hosting;

/// <summary>
/// A silo: hosts grain activations, takes part in membership, answers other silos and clients.
/// Built by <see cref="SiloServiceCollectionExtensions.AddAtlasSilo"/>; started and stopped by the host.
/// </summary>
public sealed class Silo : IAsyncDisposable
{
    private static long _lastGeneration;

    public Silo(IServiceProvider services)
    {
        var siloOptions = services.GetRequiredService<IOptions<SiloOptions>>().Value;
        var address = new SiloAddress(siloOptions.AdvertisedHost, siloOptions.Port, NextGeneration());
        var storageNames = services.GetServices<GrainStorageRegistration>().Select(r => r.Name).ToHashSet();
        Runtime = new SiloRuntime(new SiloRuntimeSettings(
            address,
            siloOptions.SiloName ?? address.Endpoint,
            services,
            siloOptions,
            services.GetRequiredService<IOptions<MessagingOptions>>().Value,
            services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value,
            services.GetRequiredService<IOptions<SchedulingOptions>>().Value,
            services.GetRequiredService<IOptions<MembershipOptions>>().Value,
            services.GetRequiredService<IOptions<ReminderOptions>>().Value,
            services.GetRequiredService<IOptions<SerializationOptions>>().Value,
            services.GetService<ITransport>() ?? throw new AtlasConfigurationException("No transport is configured: call UseInMemoryClustering or UseTcpTransport on the silo builder."),
            services.GetService<IMembershipTable>() ?? throw new AtlasConfigurationException("No membership table is configured: call UseInMemoryClustering or a durable membership table on the silo builder."),
            services.GetService<IReminderTable>(),
            storageNames,
            services.GetRequiredService<ILoggerFactory>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System));
    }

    internal SiloRuntime Runtime { get; }

    /// <summary>This silo's identity.</summary>
    public SiloAddress Address => Runtime.Silo;

    public string Name => Runtime.Name;

    /// <summary>Makes references whose calls are routed from this silo.</summary>
    public IGrainFactory GrainFactory => Runtime.GrainFactory;

    /// <summary>The serializer storage providers use for grain state.</summary>
    public GrainStateSerializer StateSerializer => Runtime.StateSerializer;

    /// <summary>The membership view this silo routes by.</summary>
    public MembershipView View => Runtime.Placement.View;

    /// <summary>Live activations on this silo.</summary>
    public int ActivationCount => Runtime.Catalog.Count;

    /// <summary>Completes when the silo has stopped (gracefully, killed, or declared dead by the cluster).</summary>
    public Task Stopped => Runtime.Stopped;

    /// <summary>Raised when the cluster declared this silo dead and it stopped itself.</summary>
    public event Action? DeclaredDead
    {
        add => Runtime.DeclaredDead += value;
        remove => Runtime.DeclaredDead -= value;
    }

    /// <summary>Whether this silo has a live activation of the grain.</summary>
    public bool HasActivation(GrainId grainId) => Runtime.Catalog.TryGet(grainId, out var activation) && !activation.IsInvalid;

    /// <summary>The silo that owns the grain in this silo's current view (null if no silo is active).</summary>
    public SiloAddress? OwnerOf(GrainId grainId) => Runtime.Placement.OwnerOf(grainId);

    /// <summary>Deactivates the grain's activation on this silo, if any; completes when it is gone.</summary>
    public async Task<bool> DeactivateAsync(GrainId grainId)
    {
        if (!Runtime.Catalog.TryGet(grainId, out var activation))
        {
            return false;
        }
        activation.RequestDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "requested through the silo"));
        await activation.Deactivated;
        return true;
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => Runtime.StartAsync(cancellationToken);

    /// <summary>Leaves gracefully: activations deactivate (writing their state), calls are rerouted, not failed.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => Runtime.StopAsync(cancellationToken);

    /// <summary>Stops abruptly, like a killed process: no grain code runs, nothing is written, the others must detect it.</summary>
    public Task KillAsync() => Runtime.KillAsync();

    public async ValueTask DisposeAsync()
    {
        if (!Stopped.IsCompleted)
        {
            await StopAsync();
        }
    }

    private static long NextGeneration()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastGeneration);
            var next = Math.Max(SiloAddress.NewGeneration(), last + 1);
            if (Interlocked.CompareExchange(ref _lastGeneration, next, last) == last)
            {
                return next;
            }
        }
    }
}

/// <summary>Records that a grain storage provider was registered under a name (used to validate grain classes at start-up).</summary>
public sealed record GrainStorageRegistration(string Name);
