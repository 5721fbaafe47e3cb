using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Atlas.Bench.Baselines;

/// <summary>
/// The frames of the TCP echo baseline: Atlas's framing (<c>int32 LE length</c> + payload) with an 8-byte correlation
/// id first in every payload, so that many callers share one connection. A request payload is
/// <c>[correlation int64][value int32][response payload length int32][zero padding]</c>, a response payload
/// <c>[correlation int64][value int32][zero padding]</c>; the padding makes both as long as Atlas's frames for the same call.
/// </summary>
public static class EchoFrames
{
    public const int MinimumRequestPayload = 16;
    public const int MinimumResponsePayload = 12;

    /// <summary>The largest frame either side accepts (a corrupt length prefix fails the connection instead of a huge buffer).</summary>
    public const int MaxPayload = 64 * 1024;

    /// <summary>Takes one whole frame off the front of <paramref name="buffer"/>, if it has arrived.</summary>
    public static bool TryTake(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < 4)
        {
            return false;
        }
        int length;
        if (buffer.FirstSpan.Length >= 4)
        {
            length = BinaryPrimitives.ReadInt32LittleEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(prefix);
            length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        }
        if (length <= 0 || length > MaxPayload)
        {
            throw new InvalidDataException($"A frame length of {length} is not valid.");
        }
        if (buffer.Length - 4 < length)
        {
            return false;
        }
        payload = buffer.Slice(4, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>The fixed fields at the start of a payload (copied out only when they straddle segments).</summary>
    public static ReadOnlySpan<byte> Head(in ReadOnlySequence<byte> payload, int count, Span<byte> scratch)
    {
        if (payload.FirstSpan.Length >= count)
        {
            return payload.FirstSpan[..count];
        }
        payload.Slice(0, count).CopyTo(scratch);
        return scratch[..count];
    }
}

/// <summary>
/// The server of the echo baseline (run in a <c>remote-echo</c> child process): for each connection, one loop reads
/// what has arrived through a <see cref="PipeReader"/>, parses every whole request frame in it, writes one response
/// frame per request into a <see cref="PipeWriter"/> on the same socket, and flushes once per read burst. No
/// scheduler, no routing, no serializer: what a hand-written TCP request/response service costs.
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private Task _acceptLoop = Task.CompletedTask;

    public EchoServer(IPEndPoint endPoint)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endPoint);
        _listener.Listen(512);
    }

    public void Start() => _acceptLoop = AcceptLoopAsync();

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            socket.NoDelay = true; // as Atlas: request/response, so Nagle would only add latency
            lock (_connections)
            {
                _connections.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var input = PipeReader.Create(stream);
        var output = PipeWriter.Create(stream);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_stopping.Token);
                var buffer = result.Buffer;
                var answered = false;
                while (EchoFrames.TryTake(ref buffer, out var request))
                {
                    Answer(request, output);
                    answered = true;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (answered)
                {
                    // One flush (one socket write) for all the responses to what one read returned.
                    await output.FlushAsync(_stopping.Token);
                }
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException or InvalidDataException or ObjectDisposedException)
        {
            // The client went away, sent garbage, or we are stopping.
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
        }
    }

    private static void Answer(in ReadOnlySequence<byte> request, PipeWriter output)
    {
        if (request.Length < EchoFrames.MinimumRequestPayload)
        {
            throw new InvalidDataException($"A request of {request.Length} bytes is too short.");
        }
        Span<byte> scratch = stackalloc byte[EchoFrames.MinimumRequestPayload];
        var head = EchoFrames.Head(request, EchoFrames.MinimumRequestPayload, scratch);
        var correlation = BinaryPrimitives.ReadInt64LittleEndian(head);
        var value = BinaryPrimitives.ReadInt32LittleEndian(head[8..]);
        var responseLength = BinaryPrimitives.ReadInt32LittleEndian(head[12..]);
        if (responseLength < EchoFrames.MinimumResponsePayload || responseLength > EchoFrames.MaxPayload)
        {
            throw new InvalidDataException($"A response length of {responseLength} is not valid.");
        }
        var span = output.GetSpan(4 + responseLength);
        BinaryPrimitives.WriteInt32LittleEndian(span, responseLength);
        BinaryPrimitives.WriteInt64LittleEndian(span[4..], correlation);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], value);
        span.Slice(16, responseLength - EchoFrames.MinimumResponsePayload).Clear();
        output.Advance(4 + responseLength);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections);
    }
}
