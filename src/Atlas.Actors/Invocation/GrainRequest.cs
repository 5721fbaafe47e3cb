using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Atlas.Actors.Scheduling;
using Atlas.Actors.Serialization;

namespace Atlas.Actors.Invocation;

/// <summary>
/// One grain call: its routing header, its arguments (fields of the generated subclass) and its completion.
/// Generated per interface method; the same object travels from the proxy into the target's mailbox.
/// </summary>
public abstract class GrainRequest
{
    private int _completed;

    // Routing header, set by the runtime.
    internal GrainId Target = null!;
    internal CallChain? Chain;
    internal long DeadlineTimestamp;
    internal long SentTimestamp;
    internal long StartedMilliseconds;
    internal long LocalId;
    internal int ForwardCount;
    internal long CorrelationId;
    internal bool IsRemoteOrigin;
    internal bool ArgumentsIsolated;
    internal IResponseSink? Sink;
    internal Messaging.IConnection? ReplyConnection;
    internal long ReplyCorrelationId;
    internal GrainRequest? NextQueued;
    internal ActivationData? Activation;
    internal SiloAddress? TargetSilo;

    /// <summary>The method this request calls.</summary>
    public abstract MethodMetadata Method { get; }

    /// <summary>Writes the arguments as a JSON array.</summary>
    protected abstract void WriteArguments(Utf8JsonWriter writer, JsonSerializerOptions options);

    /// <summary>Reads the arguments from the JSON array written by <see cref="WriteArguments"/>.</summary>
    protected abstract void ReadArguments(ref Utf8JsonReader reader, JsonSerializerOptions options);

    /// <summary>Replaces mutable arguments by copies, so a grain of the same silo cannot see the caller's objects change.</summary>
    protected abstract void CopyArguments(JsonSerializerOptions options);

    internal bool IsCompleted => Volatile.Read(ref _completed) != 0;

    internal bool TryMarkCompleted() => Interlocked.Exchange(ref _completed, 1) == 0;

    internal void WriteArgumentsTo(Utf8JsonWriter writer, JsonSerializerOptions options) => WriteArguments(writer, options);

    internal void ReadArgumentsFrom(ref Utf8JsonReader reader, JsonSerializerOptions options) => ReadArguments(ref reader, options);

    internal void IsolateArguments(JsonSerializerOptions options) => CopyArguments(options);

    /// <summary>Runs the method on <paramref name="grain"/> inside its activation, and completes the request.</summary>
    internal abstract void Run(ActivationData activation, object grain);

    /// <summary>Completes the request with an exception (no-op if already completed).</summary>
    internal abstract void Fail(Exception exception);

    /// <summary>Completes a remote call from its response payload.</summary>
    internal abstract void CompleteFromResponse(ReadOnlySpan<byte> payload, JsonSerializerOptions options);

    internal string Describe() => $"{Method.DisplayName} on {Target}";

    /// <summary>Reads the JSON argument array of <paramref name="payload"/> into this request.</summary>
    internal void ReadArgumentsFrom(ReadOnlySpan<byte> payload, JsonSerializerOptions options)
    {
        var reader = new Utf8JsonReader(payload);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Arguments must be a JSON array.");
        }
        ReadArguments(ref reader, options);
    }

    /// <summary>Reads one argument: generated code calls this for each parameter in order.</summary>
    protected static T ReadArgument<T>(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        if (!reader.Read())
        {
            throw new JsonException("The argument list ended early.");
        }
        return PrimitiveJson<T>.Applies(options) ? PrimitiveJson<T>.Read(ref reader) : JsonSerializer.Deserialize<T>(ref reader, options)!;
    }

    /// <summary>Writes one argument: generated code calls this for each parameter in order.</summary>
    protected static void WriteArgument<T>(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        if (PrimitiveJson<T>.Applies(options))
        {
            PrimitiveJson<T>.Write(writer, value);
            return;
        }
        JsonSerializer.Serialize(writer, value, options);
    }

    /// <summary>A copy of <paramref name="value"/> unless its type is immutable.</summary>
    protected static T Copy<T>(T value, JsonSerializerOptions options) => Copier<T>.Copy(value, options);
}

/// <summary>A grain call whose method returns <typeparamref name="TResult"/> (or nothing: <see cref="NoResult"/>).</summary>
public abstract class GrainRequest<TResult> : GrainRequest
{
    private AsyncTaskMethodBuilder<TResult> _completion;

    /// <summary>Calls the interface method on the grain object.</summary>
    protected abstract ValueTask<TResult> InvokeCore(object grain);

    /// <summary>The task the caller awaits. Must be read before the request is sent.</summary>
    internal Task<TResult> ResultTask => _completion.Task;

    internal override void Run(ActivationData activation, object grain)
    {
        ValueTask<TResult> pending;
        try
        {
            pending = InvokeCore(grain);
        }
        catch (Exception exception)
        {
            activation.OnRequestFinished(this, exception);
            Fail(exception);
            return;
        }

        if (pending.IsCompleted)
        {
            Finish(activation, pending);
        }
        else
        {
            _ = AwaitAndFinishAsync(activation, pending);
        }
    }

    private async Task AwaitAndFinishAsync(ActivationData activation, ValueTask<TResult> pending)
    {
        // The continuation returns to the activation's context: the request holds the activation until here.
        try
        {
            await pending;
        }
        catch
        {
            // Observed below through the ValueTask's result.
        }
        Finish(activation, pending);
    }

    private void Finish(ActivationData activation, ValueTask<TResult> completed)
    {
        TResult result;
        try
        {
            result = completed.Result;
        }
        catch (Exception exception)
        {
            activation.OnRequestFinished(this, exception);
            Fail(exception);
            return;
        }
        activation.OnRequestFinished(this, null);
        Complete(result, copyWith: IsRemoteOrigin ? null : activation.JsonOptions);
    }

    internal void Complete(TResult result, JsonSerializerOptions? copyWith)
    {
        if (!TryMarkCompleted())
        {
            return;
        }
        if (Sink is { } sink)
        {
            sink.SendResult(this, result);
            return;
        }
        if (copyWith is not null)
        {
            try
            {
                result = Copier<TResult>.Copy(result, copyWith);
            }
            catch (GrainSerializationException exception)
            {
                FailCompleted(exception);
                return;
            }
        }
        // The caller's continuation may run inline: it must not run inside this activation's context.
        var context = SynchronizationContext.Current;
        if (context is not null)
        {
            SynchronizationContext.SetSynchronizationContext(null);
        }
        _completion.SetResult(result);
        if (context is not null)
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    internal override void Fail(Exception exception)
    {
        if (!TryMarkCompleted())
        {
            return;
        }
        if (Sink is { } sink)
        {
            sink.SendException(this, exception);
            return;
        }
        FailCompleted(exception);
    }

    private void FailCompleted(Exception exception)
    {
        var context = SynchronizationContext.Current;
        if (context is not null)
        {
            SynchronizationContext.SetSynchronizationContext(null);
        }
        _completion.SetException(exception);
        if (context is not null)
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    internal override void CompleteFromResponse(ReadOnlySpan<byte> payload, JsonSerializerOptions options)
    {
        TResult result;
        try
        {
            result = PrimitiveJson<TResult>.Applies(options)
                ? PrimitiveJson<TResult>.ReadPayload(payload)
                : JsonSerializer.Deserialize<TResult>(payload, options)!;
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException)
        {
            Fail(new GrainSerializationException($"The result of {Describe()} could not be read as {typeof(TResult)}: {exception.Message}", exception));
            return;
        }
        Complete(result, copyWith: null);
    }

    internal void WriteResult(Utf8JsonWriter writer, TResult result, JsonSerializerOptions options)
    {
        if (PrimitiveJson<TResult>.Applies(options))
        {
            PrimitiveJson<TResult>.Write(writer, result);
            return;
        }
        JsonSerializer.Serialize(writer, result, options);
    }
}

/// <summary>Where a request's outcome goes when the caller is in another process or silo.</summary>
internal interface IResponseSink
{
    void SendResult<TResult>(GrainRequest<TResult> request, TResult result);

    void SendException(GrainRequest request, Exception exception);
}

/// <summary>
/// The chain of grain requests that are waiting on a call: each link is a grain, the id its activation gave the
/// waiting request, and the method. Used to detect call cycles before they deadlock.
/// </summary>
internal sealed class CallChain(GrainId grain, long requestId, string method, CallChain? parent)
{
    public GrainId Grain { get; } = grain;
    public long RequestId { get; } = requestId;
    public string Method { get; } = method;
    public CallChain? Parent { get; } = parent;
    public int Depth { get; } = (parent?.Depth ?? 0) + 1;

    /// <summary>Links from the root to this one.</summary>
    public IReadOnlyList<CallChain> FromRoot()
    {
        var links = new CallChain[Depth];
        var link = this;
        for (var i = Depth - 1; i >= 0; i--)
        {
            links[i] = link!;
            link = link!.Parent;
        }
        return links;
    }
}

/// <summary>
/// Ids for running requests (the links of call chains), unique in the process. Each thread takes a block of ids
/// from a shared counter and hands them out alone: one shared interlocked add per 1,024 requests instead of per
/// request, since a shared counter bounces between cores on every call.
/// </summary>
internal static class RequestIds
{
    private const int BlockSize = 1024;
    private static long _lastBlockEnd;

    [ThreadStatic]
    private static long t_next;

    [ThreadStatic]
    private static long t_blockEnd;

    public static long Next()
    {
        if (t_next == t_blockEnd)
        {
            t_blockEnd = Interlocked.Add(ref _lastBlockEnd, BlockSize);
            t_next = t_blockEnd - BlockSize;
        }
        return ++t_next;
    }
}

internal static class Timestamps
{
    /// <summary>Precise (<see cref="Stopwatch"/> ticks): for deadlines and latencies.</summary>
    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>
    /// A monotonic clock in milliseconds, with a resolution of a few milliseconds, several times cheaper to read than
    /// <see cref="Now"/> (which, on virtual machines, can cost more than the rest of a local call): for what runs on
    /// every turn yet is judged in tens of milliseconds or more — turn quanta, slow turns, idle ages.
    /// </summary>
    public static long CoarseMilliseconds => Environment.TickCount64;

    /// <summary>
    /// What <see cref="CoarseNow"/> adds so that it is never behind <see cref="Now"/>: at least the coarse clock's
    /// resolution (about 4 ms on Linux, 15.6 ms on Windows).
    /// </summary>
    public static readonly long CoarseSlack = (long)(0.016 * Stopwatch.Frequency);

    private static readonly double TicksPerMillisecond = Stopwatch.Frequency / 1000.0;
    private const long RebaseEveryMilliseconds = 1000;
    private static long _coarseOffset = Stopwatch.GetTimestamp() - (long)(Environment.TickCount64 * TicksPerMillisecond);
    private static long _rebasedAt = Environment.TickCount64;

    /// <summary>
    /// <see cref="Now"/> in the same units, read from the coarse clock: never behind it, and ahead by at most
    /// <see cref="CoarseSlack"/> plus the coarse resolution (about 20-30 ms). For deadlines, which may then be that
    /// much late but never early (the timeout sweeps only look every 10 ms or more anyway). The offset between the
    /// two clocks is measured again every second, so they cannot drift apart.
    /// </summary>
    public static long CoarseNow
    {
        get
        {
            var milliseconds = Environment.TickCount64;
            if (milliseconds - Volatile.Read(ref _rebasedAt) >= RebaseEveryMilliseconds)
            {
                Volatile.Write(ref _coarseOffset, Stopwatch.GetTimestamp() - (long)(milliseconds * TicksPerMillisecond));
                Volatile.Write(ref _rebasedAt, milliseconds);
            }
            return (long)(milliseconds * TicksPerMillisecond) + Volatile.Read(ref _coarseOffset) + CoarseSlack;
        }
    }

    public static long After(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp);
}
