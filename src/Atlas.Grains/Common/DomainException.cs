namespace Atlas.Grains.Common;

/// <summary>Base for errors caused by a request that breaks a business rule, as opposed to a fault of the platform.</summary>
/// <remarks>
/// Callers (API, grains) can map every subtype to a client error without knowing each one. Every subtype has
/// <c>[GenerateSerializer]</c> and <c>[Id]</c> on its fields, so a caller on another silo catches the exact type with its
/// fields (without a codec Orleans would deliver a <c>CodecNotFoundException</c> instead).
/// </remarks>
[GenerateSerializer, Alias("atlas.DomainException")]
public abstract class DomainException : Exception
{
    /// <summary>Creates the exception with a message built by the subtype from its own data.</summary>
    protected DomainException(string message)
        : base(message)
    {
    }
}
