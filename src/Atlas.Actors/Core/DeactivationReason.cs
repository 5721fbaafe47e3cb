namespace Atlas.Actors;

/// <summary>Why an activation is being deactivated.</summary>
public enum DeactivationReasonCode
{
    None,
    /// <summary>The grain called <see cref="Grain.DeactivateOnIdle"/>.</summary>
    ApplicationRequested,
    /// <summary>The activation was idle longer than its collection age.</summary>
    ActivationIdle,
    /// <summary>An <see cref="InconsistentStateException"/> or a failed state write escaped a grain method.</summary>
    ApplicationError,
    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,
    /// <summary>The membership view changed and another silo now owns the grain.</summary>
    PlacementChanged,
    /// <summary>Activation failed (constructor, state read or <see cref="Grain.OnActivateAsync"/> threw).</summary>
    ActivationFailed,
}

/// <summary>A deactivation's reason and a description for logs.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description)
{
    public override string ToString() => $"{Code}: {Description}";
}
