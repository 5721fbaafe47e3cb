using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;

namespace Atlas.Bench.ApiRequests;

/// <summary>
/// One keep-alive HTTP/1.1 connection that sends pre-formatted requests and reads each response to its end
/// (Content-Length or chunked). Far cheaper per request than HttpClient, so on a shared 2-core machine the load
/// generator takes less of the CPU the servers under test need — as wrk would, but in-process and portable.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RawHttpConnection(Socket socket) => _socket = socket;

    public static async Task<RawHttpConnection> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return new RawHttpConnection(socket);
    }

    /// <summary>Sends one request and returns the response's status code once its whole body was read.</summary>
    public async Task<int> SendAsync(ReadOnlyMemory<byte> request)
    {
        while (!request.IsEmpty)
        {
            var sent = await _socket.SendAsync(request, SocketFlags.None);
            request = request[sent..];
        }

        var headerEnd = await FillUntilHeadersAsync();
        var status = ParseStatus();
        var (contentLength, chunked) = ParseFraming(headerEnd);
        _start = headerEnd;
        if (chunked)
        {
            await SkipChunkedAsync();
        }
        else
        {
            await EnsureAsync(contentLength);
            _start += contentLength;
        }
        return status;
    }

    private async Task<int> FillUntilHeadersAsync()
    {
        var searchFrom = _start;
        while (true)
        {
            var index = _buffer.AsSpan(searchFrom, _end - searchFrom).IndexOf("\r\n\r\n"u8);
            if (index >= 0)
            {
                return searchFrom + index + 4;
            }
            searchFrom = Math.Max(_start, _end - 3);
            var shift = _start;
            await ReceiveMoreAsync();
            searchFrom -= shift - _start;
        }
    }

    private int ParseStatus()
    {
        // "HTTP/1.1 200 ..."
        var line = _buffer.AsSpan(_start, Math.Min(16, _end - _start));
        return Utf8Parser.TryParse(line[9..12], out int status, out _) ? status : throw new IOException("Malformed status line.");
    }

    private (int ContentLength, bool Chunked) ParseFraming(int headerEnd)
    {
        var headers = _buffer.AsSpan(_start, headerEnd - _start);
        var contentLength = 0;
        var chunked = false;
        while (true)
        {
            var lineEnd = headers.IndexOf("\r\n"u8);
            if (lineEnd <= 0)
            {
                break;
            }
            var line = headers[..lineEnd];
            if (StartsWithIgnoreCase(line, "content-length:"u8))
            {
                Utf8Parser.TryParse(line["content-length:".Length..].Trim((byte)' '), out contentLength, out _);
            }
            else if (StartsWithIgnoreCase(line, "transfer-encoding:"u8) && line.IndexOf("chunked"u8) >= 0)
            {
                chunked = true;
            }
            headers = headers[(lineEnd + 2)..];
        }
        return (contentLength, chunked);
    }

    private async Task SkipChunkedAsync()
    {
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                await ReceiveMoreAsync();
            }
            Utf8Parser.TryParse(_buffer.AsSpan(_start, lineEnd), out int size, out _, 'x');
            _start += lineEnd + 2;
            await EnsureAsync(size + 2);
            _start += size + 2; // the chunk and its CRLF (for the last chunk: the empty trailer line)
            if (size == 0)
            {
                return;
            }
        }
    }

    private async Task EnsureAsync(int count)
    {
        while (_end - _start < count)
        {
            await ReceiveMoreAsync();
        }
    }

    /// <summary>Compacts the buffer (or grows it) and receives more bytes after what is there.</summary>
    private async Task ReceiveMoreAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        var received = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
        if (received == 0)
        {
            throw new IOException("The server closed the connection.");
        }
        _end += received;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> line, ReadOnlySpan<byte> prefix)
    {
        if (line.Length < prefix.Length)
        {
            return false;
        }
        for (var i = 0; i < prefix.Length; i++)
        {
            if ((line[i] | 0x20) != (prefix[i] | 0x20))
            {
                return false;
            }
        }
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
