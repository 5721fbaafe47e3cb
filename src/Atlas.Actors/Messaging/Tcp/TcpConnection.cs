using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Atlas.Actors.Messaging.Tcp;

/// <summary>
/// One TCP connection after its preambles: frames are <c>int32 LE length</c> + bytes.
/// Senders copy frames into an in-memory pipe under a lock and, if none is pending, schedule a flush; the flush
/// publishes everything written until it runs, and one send loop hands whatever has been published to the socket in a
/// single call. So a burst of frames costs one flush and one socket write, not one per frame (measured: about a
/// quarter less CPU per request/response than flushing on every Send). One read loop parses frames and hands each to
/// the handler, on the loop's thread.
/// </summary>
internal sealed class TcpConnection : IConnection, IThreadPoolWorkItem
{
    /// <summary>Frames up to this size are written into one contiguous span of the pipe.</summary>
    private const int SmallFrame = 4 * 1024;
    private const int SegmentSize = 16 * 1024;

    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly Pipe _output;
    private readonly IConnectionHandler _handler;
    private readonly TcpTransportOptions _options;
    private readonly TcpLog _log;
    private readonly Action<TcpConnection> _onFinished;
    private readonly object _writeLock = new();
    private readonly List<ArraySegment<byte>> _segments = [];
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private int _closed;
    private long _queuedBytes; // written by senders, not yet accepted by the socket; guarded by _writeLock
    private bool _flushScheduled; // guarded by _writeLock
    private bool _sendFailed; // guarded by _writeLock
    private int _waitingSenders; // guarded by _writeLock
    private int _socketDisposed;

    public TcpConnection(Socket socket, PipeReader input, ConnectionIdentity remote, IConnectionHandler handler, TcpTransportOptions options,
        TcpLog log, Action<TcpConnection> onFinished)
    {
        _socket = socket;
        _input = input;
        _handler = handler;
        _options = options;
        _log = log;
        _onFinished = onFinished;
        Remote = remote;
        RemoteEndPoint = socket.RemoteEndPoint;
        _output = new Pipe(new PipeOptions(
            // Back-pressure is counted here (_queuedBytes), so that flushes never wait and can be batched.
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            minimumSegmentSize: SegmentSize,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            useSynchronizationContext: false));
    }

    public ConnectionIdentity Remote { get; }

    public EndPoint? RemoteEndPoint { get; }

    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    /// <summary>Completes when the socket is gone and both loops have ended.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Whether this thread is delivering the frames of a read (of any connection) right now.</summary>
    [ThreadStatic]
    private static bool t_delivering;

    public void Start()
    {
        _sendLoop = SendLoopAsync();
        _readLoop = ReadLoopAsync();
    }

    // ---- Sending -----------------------------------------------------------------------------------------------

    public void Send(ReadOnlySpan<byte> frame)
    {
        if (frame.Length == 0)
        {
            throw new ArgumentException("Empty frames are not allowed: a zero length prefix is a protocol violation.", nameof(frame));
        }
        if (frame.Length > _options.MaxFrameSize)
        {
            throw new GrainSerializationException(
                $"A frame of {frame.Length} bytes for {Remote} is over the transport's {_options.MaxFrameSize}-byte limit (TcpTransportOptions.MaxFrameSize).");
        }
        var length = 4 + frame.Length;
        lock (_writeLock)
        {
            if (_queuedBytes >= _options.SendQueueLimit)
            {
                WaitForRoom();
            }
            if (!IsOpen || _sendFailed)
            {
                throw Unavailable();
            }
            var writer = _output.Writer;
            if (length <= SmallFrame)
            {
                var span = writer.GetSpan(length);
                BinaryPrimitives.WriteInt32LittleEndian(span, frame.Length);
                frame.CopyTo(span[4..]);
                writer.Advance(length);
            }
            else
            {
                // Large frames are copied across segments rather than into one huge buffer.
                BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), frame.Length);
                writer.Advance(4);
                writer.Write(frame);
            }
            _queuedBytes += length;
            // The flush (which wakes the send loop) runs once for all frames written until it runs. Sent while a read
            // is delivered (a client answering with its next calls), it runs on this thread once the read's frames are
            // all delivered. Sent from anywhere else (a silo's activations answering), it queues behind the work already
            // waiting, the other activations of the same read, whose answers it then carries too: on this thread's
            // local queue it would run right after the one turn, one flush per response.
            if (!_flushScheduled)
            {
                _flushScheduled = true;
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: t_delivering);
            }
        }
    }

    /// <summary>
    /// Back-pressure: the caller waits (under the lock: other senders queue behind it) until the send loop has handed
    /// half of the queue to the socket, or the connection closes.
    /// </summary>
    private void WaitForRoom()
    {
        _waitingSenders++;
        try
        {
            while (_queuedBytes > _options.SendQueueLimit / 2 && IsOpen && !_sendFailed)
            {
                Monitor.Wait(_writeLock);
            }
        }
        finally
        {
            _waitingSenders--;
        }
    }

    /// <summary>The scheduled flush: makes everything written so far visible to the send loop.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        lock (_writeLock)
        {
            _flushScheduled = false;
            if (IsOpen && !_sendFailed)
            {
                // Never waits: the pipe has no pause threshold.
                _ = _output.Writer.FlushAsync();
            }
        }
    }

    private SiloUnavailableException Unavailable() => new($"The connection to {Remote} is closed.");

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await WriteToSocketAsync(buffer).ConfigureAwait(false);
                    lock (_writeLock)
                    {
                        _queuedBytes -= buffer.Length;
                        if (_waitingSenders > 0 && _queuedBytes <= _options.SendQueueLimit / 2)
                        {
                            Monitor.PulseAll(_writeLock);
                        }
                    }
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            // Everything queued before an orderly close went out: tell the peer no more frames will come.
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or IOException)
        {
            Close(new SiloUnavailableException($"Sending to {Remote} failed: {exception.Message}", exception));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            lock (_writeLock)
            {
                // Later senders fail, and any sender waiting on back-pressure wakes and fails.
                _sendFailed = true;
                Monitor.PulseAll(_writeLock);
            }
        }
    }

    private async ValueTask WriteToSocketAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await _socket.SendAsync(buffer.First, SocketFlags.None).ConfigureAwait(false);
            return;
        }
        _segments.Clear();
        foreach (var memory in buffer)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var segment))
            {
                foreach (var part in buffer)
                {
                    await _socket.SendAsync(part, SocketFlags.None).ConfigureAwait(false);
                }
                return;
            }
            _segments.Add(segment);
        }
        await _socket.SendAsync(_segments, SocketFlags.None).ConfigureAwait(false);
    }

    // ---- Receiving ---------------------------------------------------------------------------------------------

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    t_delivering = true;
                    DeliverFrames(ref buffer);
                }
                finally
                {
                    t_delivering = false;
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty && IsOpen)
                    {
                        throw new InvalidDataException($"The connection ended inside a frame ({buffer.Length} byte(s) of it had arrived).");
                    }
                    break;
                }
            }
        }
        catch (InvalidDataException exception)
        {
            if (IsOpen)
            {
                _log.ProtocolViolation(Remote.ToString(), RemoteEndPoint, exception.Message);
            }
            failure = exception;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            failure = new SiloUnavailableException($"The connection to {Remote} broke: {exception.Message}", exception);
        }
        catch (Exception exception)
        {
            _log.HandlerFailed(Remote.ToString(), exception);
            failure = exception;
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
        // The peer closing at a frame boundary is an orderly close.
        Close(failure);
    }

    private void DeliverFrames(ref ReadOnlySequence<byte> buffer)
    {
        // Fast path: the frames that lie whole in the first segment are read straight from its span.
        var first = buffer.FirstSpan;
        var offset = 0;
        while (first.Length - offset >= 4)
        {
            var length = ReadLength(first[offset..]);
            if (first.Length - offset - 4 < length)
            {
                break;
            }
            Deliver(first.Slice(offset + 4, length));
            offset += 4 + length;
        }
        buffer = buffer.Slice(offset);

        // A frame (or its length) that crosses segments.
        Span<byte> prefix = stackalloc byte[4];
        while (buffer.Length >= 4)
        {
            buffer.Slice(0, 4).CopyTo(prefix);
            var length = ReadLength(prefix);
            if (buffer.Length - 4 < length)
            {
                return;
            }
            var frame = buffer.Slice(4, length);
            buffer = buffer.Slice(frame.End);
            if (frame.IsSingleSegment)
            {
                Deliver(frame.FirstSpan);
                continue;
            }
            var copy = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                frame.CopyTo(copy);
                Deliver(copy.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }

    private int ReadLength(ReadOnlySpan<byte> prefix)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length <= 0 || length > _options.MaxFrameSize)
        {
            throw new InvalidDataException(length <= 0
                ? $"A frame length of {length} is not valid."
                : $"A frame of {length} bytes is over the {_options.MaxFrameSize}-byte limit (TcpTransportOptions.MaxFrameSize).");
        }
        return length;
    }

    private void Deliver(ReadOnlySpan<byte> frame)
    {
        // Closing: what still arrives is drained, not delivered.
        if (IsOpen)
        {
            _handler.OnFrame(this, frame);
        }
    }

    // ---- Closing -----------------------------------------------------------------------------------------------

    public void Close(Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _log.Closed(Remote.ToString(), RemoteEndPoint, reason is null ? "" : $": {reason.Message}");
        try
        {
            _handler.OnClosed(this, reason);
        }
        catch (Exception exception)
        {
            _log.HandlerFailed(Remote.ToString(), exception);
        }
        _ = ShutdownAsync(abort: reason is not null);
    }

    private async Task ShutdownAsync(bool abort)
    {
        lock (_writeLock)
        {
            // Commits what was written but not yet flushed; a sender blocked by back-pressure wakes and fails.
            _output.Writer.Complete();
            Monitor.PulseAll(_writeLock);
        }
        if (abort)
        {
            DisposeSocket();
        }
        else
        {
            // Orderly: let queued frames reach the socket, half-close, and wait for the peer to close its end, so
            // that nothing already sent is lost to a reset.
            var deadline = Task.Delay(_options.CloseTimeout);
            if (await Task.WhenAny(_sendLoop, deadline).ConfigureAwait(false) == _sendLoop)
            {
                await Task.WhenAny(_readLoop, deadline).ConfigureAwait(false);
            }
            DisposeSocket();
        }
        try
        {
            await Task.WhenAll(_sendLoop, _readLoop).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Both loops handle their own failures; nothing is left to report once the connection is closed.
        }
        _onFinished(this);
        _finished.TrySetResult();
    }

    private void DisposeSocket()
    {
        if (Interlocked.Exchange(ref _socketDisposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    public override string ToString() => $"{Remote} at {RemoteEndPoint}";
}
