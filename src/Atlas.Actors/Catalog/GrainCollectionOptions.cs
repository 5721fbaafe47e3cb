namespace Atlas.Actors.Catalog;

/// <summary>When idle activations are collected, and how long lifecycle steps may take.</summary>
public sealed class GrainCollectionOptions
{
    /// <summary>Idle time after which an activation is deactivated (default 15 min; per class: [CollectionAgeLimit]).</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for (default 1 min).</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Time allowed for <see cref="Grain.OnActivateAsync"/> (default 30 s).</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for <see cref="Grain.OnDeactivateAsync"/> (default 30 s).</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
