namespace Atlas.Grains.Common;

/// <summary>Base for errors caused by a request that breaks a business rule, as opposed to a fault of the platform.</summary>
/// <remarks>
/// Callers (API, grains) can map every subtype to a client error without knowing each one.
/// Subtypes must expose one public constructor whose parameters are named like their properties,
/// because the actor runtime recreates exceptions across processes by matching the two.
/// </remarks>
public abstract class DomainException : Exception
{
    /// <summary>Creates the exception with a message built by the subtype from its own data.</summary>
    protected DomainException(string message)
        : base(message)
    {
    }
}
