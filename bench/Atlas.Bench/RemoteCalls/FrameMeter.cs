using Atlas.Actors;
using Atlas.Actors.Messaging;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// A transport decorator that counts the frames a client sends and receives and their bytes (without the 4-byte
/// length prefix): how the baseline learns how long Atlas's request and response frames really are. Used on a
/// separate measuring client only, never on the timed one.
/// </summary>
public sealed class FrameMeter(ITransport inner) : ITransport
{
    private long _sentFrames;
    private long _sentBytes;
    private long _receivedFrames;
    private long _receivedBytes;

    public long SentFrames => Interlocked.Read(ref _sentFrames);

    public long ReceivedFrames => Interlocked.Read(ref _receivedFrames);

    /// <summary>Mean payload of the frames sent (requests), in bytes.</summary>
    public double MeanSentPayload => SentFrames == 0 ? double.NaN : Interlocked.Read(ref _sentBytes) / (double)SentFrames;

    /// <summary>Mean payload of the frames received (responses), in bytes.</summary>
    public double MeanReceivedPayload => ReceivedFrames == 0 ? double.NaN : Interlocked.Read(ref _receivedBytes) / (double)ReceivedFrames;

    /// <summary>Forgets what was counted so far (e.g. the connection's first frames).</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _sentFrames, 0);
        Interlocked.Exchange(ref _sentBytes, 0);
        Interlocked.Exchange(ref _receivedFrames, 0);
        Interlocked.Exchange(ref _receivedBytes, 0);
    }

    public Task ListenAsync(ConnectionIdentity local, IConnectionHandler handler, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The frame meter is for clients.");

    public async Task<IConnection> ConnectAsync(ConnectionIdentity local, SiloAddress remote, IConnectionHandler handler, CancellationToken cancellationToken = default)
    {
        var metered = new MeteredHandler(this, handler);
        var connection = new MeteredConnection(this, await inner.ConnectAsync(local, remote, metered, cancellationToken));
        metered.Wrapper = connection;
        return connection;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed class MeteredConnection(FrameMeter meter, IConnection inner) : IConnection
    {
        public IConnection Inner => inner;

        public ConnectionIdentity Remote => inner.Remote;

        public bool IsOpen => inner.IsOpen;

        public void Send(ReadOnlySpan<byte> frame)
        {
            Interlocked.Increment(ref meter._sentFrames);
            Interlocked.Add(ref meter._sentBytes, frame.Length);
            inner.Send(frame);
        }

        public void Close(Exception? reason = null) => inner.Close(reason);
    }

    /// <summary>Counts received frames and hands the runtime the wrapper, which is the connection it knows.</summary>
    private sealed class MeteredHandler(FrameMeter meter, IConnectionHandler inner) : IConnectionHandler
    {
        public MeteredConnection? Wrapper { get; set; }

        private IConnection Outer(IConnection connection) => Wrapper is { } wrapper && wrapper.Inner == connection ? wrapper : connection;

        public void OnFrame(IConnection connection, ReadOnlySpan<byte> frame)
        {
            Interlocked.Increment(ref meter._receivedFrames);
            Interlocked.Add(ref meter._receivedBytes, frame.Length);
            inner.OnFrame(Outer(connection), frame);
        }

        public void OnAccepted(IConnection connection) => inner.OnAccepted(Outer(connection));

        public void OnClosed(IConnection connection, Exception? reason) => inner.OnClosed(Outer(connection), reason);
    }
}
