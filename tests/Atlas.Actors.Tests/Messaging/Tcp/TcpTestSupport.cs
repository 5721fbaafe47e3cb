using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Microsoft.Extensions.Logging;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>Records what a transport hands to its handler; tests await the records.</summary>
internal sealed class RecordingHandler : IConnectionHandler
{
    private readonly ConcurrentQueue<byte[]> _frames = new();
    private readonly ConcurrentQueue<IConnection> _accepted = new();
    private readonly ConcurrentQueue<(IConnection Connection, Exception? Reason)> _closed = new();

    /// <summary>Runs on the read loop for each frame after it is recorded (e.g. to echo or to stall the reader).</summary>
    public Action<IConnection, byte[]>? OnFrameReceived { get; set; }

    public IReadOnlyList<byte[]> Frames => _frames.ToArray();
    public IReadOnlyList<IConnection> Accepted => _accepted.ToArray();
    public IReadOnlyList<(IConnection Connection, Exception? Reason)> Closed => _closed.ToArray();

    public void OnFrame(IConnection connection, ReadOnlySpan<byte> frame)
    {
        var copy = frame.ToArray();
        _frames.Enqueue(copy);
        OnFrameReceived?.Invoke(connection, copy);
    }

    public void OnAccepted(IConnection connection) => _accepted.Enqueue(connection);

    public void OnClosed(IConnection connection, Exception? reason) => _closed.Enqueue((connection, reason));

    public async Task<IConnection> WaitForAcceptedAsync() =>
        await Wait.UntilAsync(() => Accepted.FirstOrDefault(), "an accepted connection");
}

/// <summary>Polls a condition with a deadline (no fixed sleeps).</summary>
internal static class Wait
{
    public static async Task<T> UntilAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (probe() is { } value && (value is not bool flag || flag))
            {
                return value;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }
            await Task.Delay(10);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync<bool?>(() => condition() ? true : null, what, timeout);
}

/// <summary>Keeps every log entry so tests can assert what a silo or transport said.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public ILoggerFactory Factory { get; }

    public LogCapture()
    {
        Factory = LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Debug));
    }

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => _entries.ToArray();

    /// <summary>Waits for a warning (or worse) that contains every fragment.</summary>
    public Task<string> WaitForWarningAsync(params string[] fragments) =>
        Wait.UntilAsync(
            () => Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message)
                .FirstOrDefault(m => fragments.All(f => m.Contains(f, StringComparison.OrdinalIgnoreCase))),
            $"a warning containing {string.Join(" and ", fragments.Select(f => $"'{f}'"))}; logged: {string.Join(" | ", Entries.Select(e => e.Message).TakeLast(10))}");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}

/// <summary>A listening transport (as a silo) and a connecting transport (as a client) on loopback.</summary>
internal sealed class TcpPeers : IAsyncDisposable
{
    public const string ClusterId = "tcp-tests";

    private TcpPeers(SiloAddress silo, TcpTransport server, TcpTransport client, LogCapture logs)
    {
        Silo = silo;
        Server = server;
        Client = client;
        Logs = logs;
    }

    public SiloAddress Silo { get; }
    public TcpTransport Server { get; }
    public TcpTransport Client { get; }
    public RecordingHandler ServerHandler { get; } = new();
    public RecordingHandler ClientHandler { get; } = new();
    public LogCapture Logs { get; }
    public ConnectionIdentity ClientIdentity { get; } = ConnectionIdentity.ForClient(ClusterId, "test-client");

    public static async Task<TcpPeers> StartAsync(Action<TcpTransportOptions>? configure = null)
    {
        var options = new TcpTransportOptions();
        configure?.Invoke(options);
        var logs = new LogCapture();
        var port = FreePort();
        var silo = new SiloAddress("127.0.0.1", port, SiloAddress.NewGeneration());
        var server = new TcpTransport(options, logs.Factory, new IPEndPoint(IPAddress.Loopback, port));
        var peers = new TcpPeers(silo, server, new TcpTransport(options, logs.Factory), logs);
        await server.ListenAsync(ConnectionIdentity.ForSilo(ClusterId, silo), peers.ServerHandler);
        return peers;
    }

    /// <summary>Connects as the test client; returns both ends.</summary>
    public async Task<(IConnection Client, IConnection Server)> ConnectAsync()
    {
        var client = await Client.ConnectAsync(ClientIdentity, Silo, ClientHandler);
        var server = await Wait.UntilAsync(() => ServerHandler.Accepted.LastOrDefault(), "the server to accept");
        return (client, server);
    }

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>A bare socket that speaks (or breaks) the protocol byte by byte.</summary>
internal sealed class RawPeer : IDisposable
{
    private RawPeer(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    public static async Task<RawPeer> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawPeer(socket);
    }

    public async Task SendAsync(byte[] bytes) => await Socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Sends a client greeting for <paramref name="silo"/> and reads the silo's answer.</summary>
    public async Task<Preamble> HandshakeAsync(string clusterId, SiloAddress silo)
    {
        await SendAsync(Preamble.Hello(ConnectionIdentity.ForClient(clusterId, "raw-peer"), silo).Encode());
        return await ReadPreambleAsync();
    }

    public async Task<Preamble> ReadPreambleAsync()
    {
        var header = await ReadExactlyAsync(Preamble.HeaderSize);
        var body = await ReadExactlyAsync(BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6)));
        var sequence = new System.Buffers.ReadOnlySequence<byte>([.. header, .. body]);
        return Preamble.TryParse(ref sequence) ?? throw new InvalidDataException("Incomplete preamble.");
    }

    /// <summary>Sends one frame with its length prefix.</summary>
    public Task SendFrameAsync(byte[] frame)
    {
        var bytes = new byte[4 + frame.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, frame.Length);
        frame.CopyTo(bytes, 4);
        return SendAsync(bytes);
    }

    /// <summary>Reads and discards until the other end closes; false if it is still open at the deadline.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (await Socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true; // reset: closed as well
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await Socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"Closed after {read} of {count} bytes.");
            }
            read += n;
        }
        return buffer;
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>
/// Clusters and bulk traffic over real sockets run in this collection, alone: they neither steal CPU from the
/// timing-sensitive tests of the other collections nor suffer from them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SocketsCollection
{
    public const string Name = "sockets";
}
