namespace Atlas.Actors.Invocation;

/// <summary>
/// A reference to a grain: the base of every generated proxy. Cheap to make, never activates anything by itself,
/// serializable (as its interface and grain id), and bound to the runtime of the process that holds it.
/// </summary>
public abstract class GrainReference : IAddressable, IEquatable<GrainReference>
{
    protected GrainReference(GrainId grainId, IGrainCallInvoker invoker)
    {
        GrainId = grainId;
        Invoker = invoker;
    }

    public GrainId GrainId { get; }

    /// <summary>The full name of the grain interface this proxy implements.</summary>
    public abstract string InterfaceName { get; }

    internal IGrainCallInvoker Invoker { get; }

    /// <summary>Sends a request and returns the task that completes with its result.</summary>
    protected Task<TResult> InvokeAsync<TResult>(GrainRequest<TResult> request)
    {
        request.Target = GrainId;
        var task = request.ResultTask;
        Invoker.Send(request);
        return task;
    }

    /// <summary>Sends a one-way request: the caller does not wait for, or learn of, its outcome.</summary>
    protected Task InvokeOneWay(GrainRequest request)
    {
        request.Target = GrainId;
        Invoker.Send(request);
        return Task.CompletedTask;
    }

    public bool Equals(GrainReference? other) => other is not null && GrainId.Equals(other.GrainId);

    public override bool Equals(object? obj) => Equals(obj as GrainReference);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => $"{InterfaceName}:{GrainId}";
}
