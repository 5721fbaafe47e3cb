namespace Atlas.Actors;

/// <summary>A silo that a call needed is dead, unreachable, or left the cluster while the call was in flight.</summary>
public class SiloUnavailableException : Exception
{
    public SiloUnavailableException(string message) : base(message) { }

    public SiloUnavailableException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// A call would deadlock: it targets a non-reentrant grain that is itself waiting further up the same call chain.
/// Thrown at once instead of waiting for the call timeout.
/// </summary>
public sealed class CallCycleException : Exception
{
    public CallCycleException(IReadOnlyList<string> cycle)
        : base($"Call cycle detected: {string.Join(" -> ", cycle)}. The first grain is non-reentrant and is awaiting this chain; " +
               "make the call from outside the chain, mark the method [AlwaysInterleave] or the class [Reentrant] or [AllowCallChainReentrancy].")
    {
        Cycle = cycle;
    }

    public CallCycleException(string message) : base(message)
    {
        Cycle = [];
    }

    /// <summary>The calls of the cycle, first to last, each as <c>type/key.Method</c>.</summary>
    public IReadOnlyList<string> Cycle { get; }
}

/// <summary>A grain call did not complete within its timeout. The message says what the target was doing.</summary>
public sealed class GrainCallTimeoutException : TimeoutException
{
    public GrainCallTimeoutException(string message) : base(message) { }
}

/// <summary>
/// A storage write carried an ETag that no longer matches the stored one: another activation wrote first.
/// If it escapes a grain method, the activation is deactivated so the next call reloads the stored state.
/// </summary>
public sealed class InconsistentStateException : Exception
{
    public InconsistentStateException(string message, string? storedEtag, string? currentEtag) : base(message)
    {
        StoredEtag = storedEtag;
        CurrentEtag = currentEtag;
    }

    public InconsistentStateException(string message) : base(message) { }

    /// <summary>The version the store holds.</summary>
    public string? StoredEtag { get; }

    /// <summary>The version the writer believed current.</summary>
    public string? CurrentEtag { get; }
}

/// <summary>An argument, result or state value could not be serialized or deserialized.</summary>
public sealed class GrainSerializationException : Exception
{
    public GrainSerializationException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// An exception thrown by a grain on another silo whose type could not be recreated here.
/// </summary>
public sealed class RemoteGrainException : Exception
{
    public RemoteGrainException(string originalTypeName, string originalMessage, string? remoteStackTrace)
        : base($"{originalTypeName}: {originalMessage}")
    {
        OriginalTypeName = originalTypeName;
        OriginalMessage = originalMessage;
        RemoteStackTrace = remoteStackTrace;
    }

    public string OriginalTypeName { get; }
    public string OriginalMessage { get; }
    public string? RemoteStackTrace { get; }
}

/// <summary>The runtime is misconfigured (e.g. a storage provider a grain needs is not registered).</summary>
public sealed class AtlasConfigurationException : Exception
{
    public AtlasConfigurationException(string message) : base(message) { }

    public AtlasConfigurationException(string message, Exception? inner) : base(message, inner) { }
}
