using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Atlas.Actors.Diagnostics;
using Atlas.Actors.Invocation;
using Atlas.Actors.Serialization;

namespace Atlas.Actors.Messaging;

/// <summary>
/// Everything that crosses a process or silo boundary: one outbound connection per remote silo, requests and their
/// responses (matched by correlation id), probes and membership gossip. Requests arriving from other silos or
/// clients are decoded here and handed to the silo's router; their outcome is answered on the connection they came on.
/// Calls in flight to a silo fail with <see cref="SiloUnavailableException"/> as soon as its connection breaks.
/// </summary>
internal sealed class MessageCenter : IConnectionHandler, IResponseSink
{
    private readonly ConnectionIdentity _identity;
    private readonly ITransport _transport;
    private readonly JsonSerializerOptions _json;
    private readonly MessagingOptions _options;
    private readonly int _maxMessageSize;
    private readonly RuntimeLog _log;
    private readonly Action<GrainRequest>? _inboundRouter;
    private readonly ConcurrentDictionary<SiloAddress, Link> _links = new();
    private readonly ConcurrentDictionary<long, GrainRequest> _pending = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _pings = new();
    private readonly ConcurrentDictionary<IConnection, byte> _inbound = new();
    private long _nextCorrelation;
    private long _lastInboundRequest;
    private volatile bool _closed;

    public MessageCenter(ConnectionIdentity identity, ITransport transport, JsonSerializerOptions json, MessagingOptions options,
        int maxMessageSize, RuntimeLog log, Action<GrainRequest>? inboundRouter)
    {
        _identity = identity;
        _transport = transport;
        _json = json;
        _options = options;
        _maxMessageSize = maxMessageSize;
        _log = log;
        _inboundRouter = inboundRouter;
    }

    /// <summary>A connection to a silo broke or could not be opened.</summary>
    public event Action<SiloAddress>? LinkFailed;

    /// <summary>Another silo announced a membership change.</summary>
    public event Action? MembershipGossip;

    /// <summary>Calls sent to other silos that await a response.</summary>
    public int PendingCount => _pending.Count;

    public Task ListenAsync(CancellationToken cancellationToken) => _transport.ListenAsync(_identity, this, cancellationToken);

    // ---- Outgoing requests -----------------------------------------------------------------------------------

    public void SendRequest(SiloAddress silo, GrainRequest request)
    {
        if (_closed)
        {
            request.Fail(new SiloUnavailableException($"{_identity} is shut down; the call to {request.Describe()} was not sent."));
            return;
        }
        request.TargetSilo = silo;
        request.CorrelationId = Interlocked.Increment(ref _nextCorrelation);
        if (!request.Method.IsOneWay || request.IsRemoteOrigin)
        {
            _pending[request.CorrelationId] = request;
        }
        var link = GetLink(silo);
        if (link.Connection is { IsOpen: true } connection)
        {
            Transmit(connection, request);
        }
        else
        {
            _ = ConnectAndTransmitAsync(link, request);
        }
    }

    private async Task ConnectAndTransmitAsync(Link link, GrainRequest request)
    {
        IConnection connection;
        try
        {
            connection = await link.ConnectAsync();
        }
        catch (Exception exception)
        {
            _pending.TryRemove(request.CorrelationId, out _);
            request.Fail(exception as SiloUnavailableException ?? new SiloUnavailableException($"Silo {link.Silo} is unavailable: {exception.Message}", exception));
            return;
        }
        Transmit(connection, request);
    }

    private void Transmit(IConnection connection, GrainRequest request)
    {
        var buffer = FrameBuffer.Rent();
        try
        {
            try
            {
                WriteRequest(buffer, request);
            }
            catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException or GrainSerializationException)
            {
                _pending.TryRemove(request.CorrelationId, out _);
                request.Fail(new GrainSerializationException(
                    $"The arguments of {request.Method.DisplayName} could not be serialized for silo {request.TargetSilo}: {exception.Message}", exception));
                return;
            }
            if (buffer.WrittenCount > _maxMessageSize)
            {
                _pending.TryRemove(request.CorrelationId, out _);
                request.Fail(new GrainSerializationException(
                    $"The request {request.Describe()} is {buffer.WrittenCount} bytes, over the {_maxMessageSize}-byte message limit."));
                return;
            }
            connection.Send(buffer.WrittenSpan);
        }
        catch (Exception exception) when (exception is SiloUnavailableException or GrainSerializationException)
        {
            // GrainSerializationException: the frame is over the transport's own frame limit.
            _pending.TryRemove(request.CorrelationId, out _);
            request.Fail(exception);
        }
        finally
        {
            FrameBuffer.Return(buffer);
        }
    }

    private void WriteRequest(ArrayBufferWriter<byte> buffer, GrainRequest request)
    {
        FrameWriter.WriteByte(buffer, (byte)FrameKind.Request);
        FrameWriter.WriteInt64(buffer, request.CorrelationId);
        FrameWriter.WriteInt32(buffer, request.Method.Id);
        FrameWriter.WriteInt32(buffer, request.ForwardCount);
        var remaining = request.DeadlineTimestamp == 0 ? 0 : Math.Max(1, (long)((request.DeadlineTimestamp - Timestamps.Now) * 1000.0 / Stopwatch.Frequency));
        FrameWriter.WriteInt64(buffer, remaining);
        FrameWriter.WriteString(buffer, request.Target.Type);
        FrameWriter.WriteString(buffer, request.Target.Key);
        var links = request.Chain?.FromRoot() ?? [];
        FrameWriter.WriteInt32(buffer, links.Count);
        foreach (var link in links)
        {
            FrameWriter.WriteString(buffer, link.Grain.Type);
            FrameWriter.WriteString(buffer, link.Grain.Key);
            FrameWriter.WriteInt64(buffer, link.RequestId);
            FrameWriter.WriteString(buffer, link.Method);
        }
        var writer = FrameJson.Rent(buffer);
        try
        {
            writer.WriteStartArray();
            request.WriteArgumentsTo(writer, _json);
            writer.WriteEndArray();
        }
        catch
        {
            FrameJson.Discard(writer);
            throw;
        }
        FrameJson.Return(writer);
    }

    // ---- Incoming frames -------------------------------------------------------------------------------------

    public void OnAccepted(IConnection connection) => _inbound[connection] = 0;

    public void OnFrame(IConnection connection, ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new FrameReader(frame);
            var kind = (FrameKind)reader.ReadByte();
            switch (kind)
            {
                case FrameKind.Request:
                    OnRequest(connection, ref reader);
                    break;
                case FrameKind.Response:
                    OnResponse(ref reader);
                    break;
                case FrameKind.Ping:
                    SendSmallFrame(connection, FrameKind.Pong, reader.ReadInt64());
                    break;
                case FrameKind.Pong:
                    if (_pings.TryRemove(reader.ReadInt64(), out var ping))
                    {
                        ping.TrySetResult();
                    }
                    break;
                case FrameKind.MembershipChanged:
                    MembershipGossip?.Invoke();
                    break;
                default:
                    throw new FormatException($"Unknown frame kind {(byte)kind}.");
            }
        }
        catch (FormatException exception)
        {
            _log.BadFrame(connection.Remote.ToString(), exception.Message);
            connection.Close(new InvalidDataException($"Malformed frame: {exception.Message}", exception));
        }
    }

    private void OnRequest(IConnection connection, ref FrameReader reader)
    {
        var correlationId = reader.ReadInt64();
        var methodId = reader.ReadInt32();
        var forwardCount = reader.ReadInt32();
        var timeoutMs = reader.ReadInt64();
        var target = reader.ReadGrainId();
        var chainLength = reader.ReadInt32();
        if (chainLength is < 0 or > 10_000)
        {
            throw new FormatException($"A call chain of {chainLength} links is not plausible.");
        }
        CallChain? chain = null;
        for (var i = 0; i < chainLength; i++)
        {
            chain = new CallChain(reader.ReadGrainId(), reader.ReadInt64(), reader.ReadString(), chain);
        }

        if (_inboundRouter is null)
        {
            throw new FormatException("Clients do not accept requests.");
        }
        // One clock read serves the quiet-period tracking, the latency histogram and the deadline.
        var now = Timestamps.Now;
        Volatile.Write(ref _lastInboundRequest, now);
        var method = GrainRegistry.FindMethod(methodId);
        if (method is null)
        {
            SendError(connection, correlationId, new AtlasConfigurationException(
                $"Silo {_identity.Silo} does not know method id {methodId} for {target}: the caller runs a different version of the grain interface."));
            return;
        }
        var request = method.CreateRequest();
        try
        {
            request.ReadArgumentsFrom(reader.Remaining, _json);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException or GrainSerializationException)
        {
            SendError(connection, correlationId, new GrainSerializationException(
                $"The arguments of {method.DisplayName} for {target} could not be deserialized: {exception.Message}", exception));
            return;
        }
        request.Target = target;
        request.Chain = chain;
        request.ForwardCount = forwardCount;
        request.IsRemoteOrigin = true;
        request.ArgumentsIsolated = true;
        request.SentTimestamp = now;
        request.DeadlineTimestamp = timeoutMs == 0 ? 0 : now + timeoutMs * Stopwatch.Frequency / 1000;
        if (!method.IsOneWay)
        {
            request.Sink = this;
            request.ReplyConnection = connection;
            request.ReplyCorrelationId = correlationId;
        }
        _inboundRouter(request);
    }

    private void OnResponse(ref FrameReader reader)
    {
        var correlationId = reader.ReadInt64();
        var status = (ResponseStatus)reader.ReadByte();
        if (!_pending.TryRemove(correlationId, out var request))
        {
            return; // timed out or failed already
        }
        if (status == ResponseStatus.Ok)
        {
            request.CompleteFromResponse(reader.Remaining, _json);
        }
        else
        {
            request.Fail(ExceptionCodec.Read(reader.Remaining, _json));
        }
    }

    // ---- Responses to requests that came from elsewhere ---------------------------------------------------------

    public void SendResult<TResult>(GrainRequest<TResult> request, TResult result)
    {
        var connection = request.ReplyConnection!;
        var buffer = FrameBuffer.Rent();
        try
        {
            WriteResponseHeader(buffer, request.ReplyCorrelationId, ResponseStatus.Ok);
            if (!PrimitiveJson<TResult>.Applies(_json) || !PrimitiveJson<TResult>.TryWriteText(buffer, result))
            {
                WriteResultJson(request, result, ref buffer);
            }
            if (buffer.WrittenCount > _maxMessageSize)
            {
                // Sent anyway, the peer's transport would refuse it and drop the connection with every call on it.
                var size = buffer.WrittenCount;
                FrameBuffer.Return(buffer);
                buffer = FrameBuffer.Rent();
                WriteError(buffer, request.ReplyCorrelationId, new GrainSerializationException(
                    $"The result of {request.Describe()} is {size} bytes, over the {_maxMessageSize}-byte message limit."));
            }
            Reply(connection, buffer, request);
        }
        finally
        {
            FrameBuffer.Return(buffer);
        }
    }

    /// <summary>Serializes the result after the response header; on failure the buffer is replaced by an error response.</summary>
    private void WriteResultJson<TResult>(GrainRequest<TResult> request, TResult result, ref ArrayBufferWriter<byte> buffer)
    {
        var writer = FrameJson.Rent(buffer);
        try
        {
            request.WriteResult(writer, result, _json);
            FrameJson.Return(writer);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException or GrainSerializationException)
        {
            FrameJson.Discard(writer);
            FrameBuffer.Return(buffer);
            buffer = FrameBuffer.Rent();
            WriteError(buffer, request.ReplyCorrelationId, new GrainSerializationException(
                $"The result of {request.Describe()} could not be serialized: {exception.Message}", exception));
        }
    }

    public void SendException(GrainRequest request, Exception exception)
    {
        var buffer = FrameBuffer.Rent();
        try
        {
            WriteError(buffer, request.ReplyCorrelationId, exception);
            Reply(request.ReplyConnection!, buffer, request);
        }
        finally
        {
            FrameBuffer.Return(buffer);
        }
    }

    private void SendError(IConnection connection, long correlationId, Exception exception)
    {
        var buffer = FrameBuffer.Rent();
        try
        {
            WriteError(buffer, correlationId, exception);
            Reply(connection, buffer, null);
        }
        finally
        {
            FrameBuffer.Return(buffer);
        }
    }

    private void WriteError(ArrayBufferWriter<byte> buffer, long correlationId, Exception exception)
    {
        WriteResponseHeader(buffer, correlationId, ResponseStatus.Error);
        var writer = FrameJson.Rent(buffer);
        try
        {
            ExceptionCodec.Write(writer, exception, _json);
        }
        catch
        {
            FrameJson.Discard(writer);
            throw;
        }
        FrameJson.Return(writer);
    }

    private static void WriteResponseHeader(ArrayBufferWriter<byte> buffer, long correlationId, ResponseStatus status)
    {
        FrameWriter.WriteByte(buffer, (byte)FrameKind.Response);
        FrameWriter.WriteInt64(buffer, correlationId);
        FrameWriter.WriteByte(buffer, (byte)status);
    }

    private void Reply(IConnection connection, ArrayBufferWriter<byte> buffer, GrainRequest? request)
    {
        try
        {
            connection.Send(buffer.WrittenSpan);
        }
        catch (Exception exception) when (exception is SiloUnavailableException or GrainSerializationException)
        {
            _log.ResponseLost(request?.Describe() ?? "a refused request", exception.Message);
        }
    }

    // ---- Probes and gossip -------------------------------------------------------------------------------------

    /// <summary>Sends a probe and waits for its answer; throws if the silo does not answer in time.</summary>
    public async Task PingAsync(SiloAddress silo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var correlationId = Interlocked.Increment(ref _nextCorrelation);
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[correlationId] = answered;
        try
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            var connection = await GetLink(silo).ConnectAsync().WaitAsync(timeoutSource.Token);
            SendSmallFrame(connection, FrameKind.Ping, correlationId);
            await answered.Task.WaitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Silo {silo} did not answer a probe within {timeout.TotalMilliseconds:0} ms.");
        }
        finally
        {
            _pings.TryRemove(correlationId, out _);
        }
    }

    /// <summary>Tells the given silos that the membership table changed (best effort).</summary>
    public void Gossip(IEnumerable<SiloAddress> silos)
    {
        foreach (var silo in silos)
        {
            _ = GossipAsync(silo);
        }
    }

    /// <summary>Tells everyone connected to this silo (clients included) that the membership table changed.</summary>
    public void GossipToInbound()
    {
        foreach (var connection in _inbound.Keys)
        {
            SendSmallFrame(connection, FrameKind.MembershipChanged, 0);
        }
    }

    /// <summary>
    /// Waits until no request has arrived for <paramref name="quietPeriod"/> (callers have rerouted) and no call this
    /// node forwarded is still waiting for its response, or until <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitForQuietAsync(TimeSpan quietPeriod, TimeSpan timeout)
    {
        var deadline = Timestamps.After(timeout);
        while (Timestamps.Now < deadline &&
               (!_pending.IsEmpty || Timestamps.Since(Volatile.Read(ref _lastInboundRequest)) < quietPeriod))
        {
            await Task.Delay(10);
        }
    }

    private async Task GossipAsync(SiloAddress silo)
    {
        try
        {
            var connection = await GetLink(silo).ConnectAsync();
            SendSmallFrame(connection, FrameKind.MembershipChanged, 0);
        }
        catch (Exception)
        {
            // Gossip is an optimisation: the periodic table refresh catches up.
        }
    }

    private static void SendSmallFrame(IConnection connection, FrameKind kind, long value)
    {
        Span<byte> frame = stackalloc byte[9];
        frame[0] = (byte)kind;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(frame[1..], value);
        try
        {
            connection.Send(frame);
        }
        catch (SiloUnavailableException)
        {
            // The connection closed: the prober sees a timeout, a closed link fails its calls.
        }
    }

    // ---- Connections -------------------------------------------------------------------------------------------

    private Link GetLink(SiloAddress silo) =>
        _links.TryGetValue(silo, out var link) ? link : _links.GetOrAdd(silo, s => new Link(s, this));

    public void OnClosed(IConnection connection, Exception? reason)
    {
        _inbound.TryRemove(connection, out _);
        var silo = connection.Remote.Silo;
        if (silo is null || !_links.TryGetValue(silo, out var link) || link.Connection != connection)
        {
            if (reason is not null and not SiloUnavailableException)
            {
                _log.ConnectionClosed(connection.Remote.ToString(), reason.Message);
            }
            return;
        }
        link.Reset(connection);
        FailPendingTo(silo, $"the connection to silo {silo} broke{(reason is null ? "" : $" ({reason.Message})")}");
        LinkFailed?.Invoke(silo);
    }

    /// <summary>Fails every call in flight to <paramref name="silo"/> (its connection broke, or it was declared dead).</summary>
    public void FailPendingTo(SiloAddress silo, string why)
    {
        foreach (var entry in _pending)
        {
            if (entry.Value.TargetSilo == silo && _pending.TryRemove(entry.Key, out var request))
            {
                request.Fail(new SiloUnavailableException($"{request.Describe()} failed: {why}. The call may or may not have run."));
            }
        }
    }

    /// <summary>Drops the link to a silo that left the cluster.</summary>
    public void Forget(SiloAddress silo)
    {
        if (_links.TryRemove(silo, out var link))
        {
            link.Close();
        }
        FailPendingTo(silo, $"silo {silo} left the cluster");
    }

    /// <summary>Fails calls whose response is overdue (the target silo did not even report a timeout).</summary>
    public void ExpirePending(long now, TimeSpan grace)
    {
        var graceTicks = (long)(grace.TotalSeconds * Stopwatch.Frequency);
        foreach (var entry in _pending)
        {
            var request = entry.Value;
            if (request.DeadlineTimestamp != 0 && request.DeadlineTimestamp + graceTicks < now && _pending.TryRemove(entry.Key, out _))
            {
                var timeout = request.Method.Timeout ?? _options.ResponseTimeout;
                request.Fail(new GrainCallTimeoutException(
                    $"Response did not arrive on time: {request.Method.DisplayName} on {request.Target} timed out after {timeout.TotalSeconds:0.###} s " +
                    $"with no answer from silo {request.TargetSilo}, which is overloaded, partitioned or hung."));
            }
        }
    }

    /// <summary>Closes every connection. With <paramref name="abort"/> nothing more is sent (a crash).</summary>
    public void Close()
    {
        _closed = true;
        foreach (var link in _links.Values)
        {
            link.Close();
        }
        foreach (var connection in _inbound.Keys)
        {
            connection.Close();
        }
        foreach (var entry in _pending)
        {
            if (_pending.TryRemove(entry.Key, out var request))
            {
                request.Fail(new SiloUnavailableException($"{request.Describe()} failed: {_identity} shut down."));
            }
        }
    }

    /// <summary>The connection to one silo: opened on first use, reopened after a failure with a growing backoff.</summary>
    private sealed class Link(SiloAddress silo, MessageCenter owner)
    {
        private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);
        private Task<IConnection>? _connecting;
        private long _retryAfter;
        private TimeSpan _backoff = TimeSpan.FromMilliseconds(50);
        private Exception? _lastError;

        public SiloAddress Silo { get; } = silo;

        public IConnection? Connection { get; private set; }

        public Task<IConnection> ConnectAsync()
        {
            lock (this)
            {
                if (Connection is { IsOpen: true } open)
                {
                    return Task.FromResult(open);
                }
                if (_connecting is { IsCompleted: false } connecting)
                {
                    return connecting;
                }
                if (_lastError is not null && Timestamps.Now < _retryAfter)
                {
                    return Task.FromException<IConnection>(new SiloUnavailableException($"Silo {Silo} is unavailable: {_lastError.Message}", _lastError));
                }
                return _connecting = ConnectCoreAsync();
            }
        }

        private async Task<IConnection> ConnectCoreAsync()
        {
            try
            {
                using var timeout = new CancellationTokenSource(owner._options.ConnectTimeout);
                // Off the caller's context: a grain's scheduler has no business running connection set-up.
                var connection = await owner._transport.ConnectAsync(owner._identity, Silo, owner, timeout.Token).ConfigureAwait(false);
                lock (this)
                {
                    Connection = connection;
                    _lastError = null;
                    _backoff = TimeSpan.FromMilliseconds(50);
                }
                if (owner._closed)
                {
                    connection.Close();
                }
                return connection;
            }
            catch (Exception exception)
            {
                lock (this)
                {
                    _lastError = exception;
                    _retryAfter = Timestamps.After(_backoff);
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
                }
                owner.LinkFailed?.Invoke(Silo);
                throw exception as SiloUnavailableException ?? new SiloUnavailableException($"Silo {Silo} is unavailable: {exception.Message}", exception);
            }
        }

        public void Reset(IConnection connection)
        {
            lock (this)
            {
                if (Connection == connection)
                {
                    Connection = null;
                }
            }
        }

        public void Close()
        {
            IConnection? connection;
            lock (this)
            {
                connection = Connection;
                Connection = null;
            }
            connection?.Close();
        }
    }
}
