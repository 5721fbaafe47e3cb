namespace Atlas.Actors.Invocation;

/// <summary>Where grain references send their requests: a silo's or a client's runtime.</summary>
public interface IGrainCallInvoker
{
    /// <summary>Routes the request to the grain's activation. Completion is reported through the request itself.</summary>
    void Send(GrainRequest request);

    /// <summary>The grain factory of this runtime (used to bind references).</summary>
    IGrainFactory GrainFactory { get; }
}
