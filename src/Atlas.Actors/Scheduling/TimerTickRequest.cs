using System.Text.Json;
using Atlas.Actors.Invocation;

namespace Atlas.Actors.Scheduling;

/// <summary>A timer tick queued to its activation: a request that runs the callback, never serialized.</summary>
internal abstract class TimerTickRequest(bool interleave, bool keepAlive) : GrainRequest<NoResult>
{
    private static readonly MethodMetadata Tick = new(typeof(IGrain), "timer callback", "timer()", MethodFlags.None, null, NotSerializable);
    private static readonly MethodMetadata InterleavingTick = new(typeof(IGrain), "timer callback", "timer(interleave)", MethodFlags.AlwaysInterleave, null, NotSerializable);

    public bool KeepAlive { get; } = keepAlive;

    public override MethodMetadata Method => interleave ? InterleavingTick : Tick;

    protected override void WriteArguments(Utf8JsonWriter writer, JsonSerializerOptions options) => throw new NotSupportedException();

    protected override void ReadArguments(ref Utf8JsonReader reader, JsonSerializerOptions options) => throw new NotSupportedException();

    protected override void CopyArguments(JsonSerializerOptions options)
    {
    }

    private static GrainRequest NotSerializable() => throw new NotSupportedException("Timer ticks never leave their silo.");
}
