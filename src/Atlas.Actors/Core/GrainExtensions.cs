using Atlas.Actors.Invocation;

namespace Atlas.Actors;

/// <summary>Helpers on grain references.</summary>
public static class GrainExtensions
{
    /// <summary>The id of the grain a reference points at.</summary>
    public static GrainId GetGrainId(this IAddressable grain) => grain switch
    {
        GrainReference reference => reference.GrainId,
        Grain instance => instance.GrainId,
        _ => throw new ArgumentException($"{grain.GetType()} is neither a grain reference nor a grain.", nameof(grain)),
    };
}
