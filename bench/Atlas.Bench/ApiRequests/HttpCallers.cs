using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Atlas.Bench.Harness;

namespace Atlas.Bench.ApiRequests;

/// <summary>Writes caller <c>caller</c>'s <c>sequence</c>-th request into <c>destination</c>; returns its length.</summary>
internal delegate int RequestWriter(int caller, long sequence, Span<byte> destination);

/// <summary>
/// The callers of the http load: one keep-alive <see cref="RawHttpConnection"/> per caller of
/// <see cref="LoadGenerator"/>, each sending the requests a <see cref="RequestWriter"/> formats into its own buffer.
/// A failed request (a status outside 2xx, or a broken connection, which the caller's next request reopens) is
/// counted, not thrown, so that the run ends with its figures and says how many failed.
/// </summary>
internal sealed class HttpCallers : IDisposable
{
    private const int MaxRequestBytes = 8 * 1024;

    private readonly IPEndPoint _endpoint;
    private readonly RawHttpConnection?[] _connections;
    private readonly byte[][] _buffers;
    private readonly RequestWriter _write;
    private readonly ConcurrentQueue<string> _failureSamples = new();
    private long _failures;

    private HttpCallers(IPEndPoint endpoint, RawHttpConnection[] connections, RequestWriter write)
    {
        _endpoint = endpoint;
        _connections = connections;
        _buffers = [.. connections.Select(_ => new byte[MaxRequestBytes])];
        _write = write;
    }

    /// <summary>Failed requests so far.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The first few failures (status code or exception).</summary>
    public IReadOnlyCollection<string> FailureSamples => _failureSamples;

    public static async Task<HttpCallers> ConnectAsync(IPEndPoint endpoint, int callers, RequestWriter write) =>
        new(endpoint, await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => RawHttpConnection.ConnectAsync(endpoint))), write);

    /// <summary>Sends caller <paramref name="caller"/>'s request number <paramref name="sequence"/>: the <see cref="CallTarget"/> of the load.</summary>
    public async Task SendAsync(int caller, long sequence)
    {
        var buffer = _buffers[caller];
        var length = _write(caller, sequence, buffer);
        string failure;
        try
        {
            var connection = _connections[caller] ??= await RawHttpConnection.ConnectAsync(_endpoint);
            var status = await connection.SendAsync(buffer.AsMemory(0, length));
            if (status is >= 200 and < 300)
            {
                return;
            }
            failure = status.ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or SocketException)
        {
            _connections[caller]?.Dispose();
            _connections[caller] = null;
            failure = $"{exception.GetType().Name}: {exception.Message}";
        }
        Interlocked.Increment(ref _failures);
        if (_failureSamples.Count < 3)
        {
            _failureSamples.Enqueue(failure);
        }
    }

    /// <summary>Sends requests 0 … <paramref name="count"/>-1 once each over <paramref name="connections"/> connections, unmeasured; returns how many failed.</summary>
    public static async Task<int> SendOnceEachAsync(IPEndPoint endpoint, int connections, int count, Func<int, byte[]> request)
    {
        var failures = 0;
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            using var connection = await RawHttpConnection.ConnectAsync(endpoint);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                if (await connection.SendAsync(request(i)) is < 200 or >= 300)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        return failures;
    }

    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection?.Dispose();
        }
    }
}
