using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Actors.Messaging.Tcp;

/// <summary>
/// An <see cref="ITransport"/> over TCP: length-prefixed frames after a preamble exchange that checks the cluster id
/// and the exact silo generation the connector wants. A silo listens and connects; a client only connects
/// (<c>new ClusterClient(..., transport: new TcpTransport(...), ...)</c>). A peer that breaks the protocol loses its
/// own connection and nothing else.
/// </summary>
public sealed class TcpTransport : ITransport
{
    private static readonly StreamPipeReaderOptions ReaderOptions = new(bufferSize: 64 * 1024, minimumReadSize: 8 * 1024, leaveOpen: true);

    private readonly TcpTransportOptions _options;
    private readonly IPEndPoint? _listenEndPoint;
    private readonly TcpLog _log;
    private readonly CancellationTokenSource _disposing = new();
    private readonly ConcurrentDictionary<TcpConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<Socket, byte> _handshaking = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private int _disposed;

    /// <param name="options">Limits and timeouts (defaults when null).</param>
    /// <param name="loggerFactory">Where refused connections and protocol violations are logged.</param>
    /// <param name="listenEndPoint">
    /// Where a silo listens (default: every address, on the port of the silo's advertised address).
    /// <c>UseTcpTransport</c> sets it from <c>SiloOptions.ListenAddress</c> and <c>Port</c>.
    /// </param>
    public TcpTransport(TcpTransportOptions? options = null, ILoggerFactory? loggerFactory = null, IPEndPoint? listenEndPoint = null)
    {
        _options = options ?? new TcpTransportOptions();
        _options.Validate();
        _listenEndPoint = listenEndPoint;
        _log = new TcpLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Atlas.Actors.Messaging.Tcp"));
    }

    /// <summary>The endpoint the listener is bound to, once <see cref="ListenAsync"/> has run.</summary>
    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>Open connections, both accepted and initiated (for diagnostics and tests).</summary>
    internal IReadOnlyCollection<TcpConnection> Connections => _connections.Keys.ToArray();

    // ---- Accepting ---------------------------------------------------------------------------------------------

    public Task ListenAsync(ConnectionIdentity local, IConnectionHandler handler, CancellationToken cancellationToken = default)
    {
        var silo = local.Silo ?? throw new ArgumentException("Only silos listen.", nameof(local));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("This transport is already listening.");
        }
        var endPoint = _listenEndPoint ?? new IPEndPoint(IPAddress.Any, silo.Port);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(_options.ListenBacklog);
        }
        catch (SocketException exception)
        {
            listener.Dispose();
            throw new AtlasConfigurationException($"Silo {silo} cannot listen on {endPoint}: {exception.Message} ({exception.SocketErrorCode}).", exception);
        }
        _listener = listener;
        _log.Listening(silo.ToString(), listener.LocalEndPoint);
        _acceptLoop = AcceptLoopAsync(listener, local, handler);
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync(Socket listener, ConnectionIdentity local, IConnectionHandler handler)
    {
        while (!_disposing.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                // E.g. out of file descriptors: keep serving the connections we have and try again shortly.
                _log.AcceptFailed(exception.Message);
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }
            _ = AcceptAsync(socket, local, handler);
        }
    }

    private async Task AcceptAsync(Socket socket, ConnectionIdentity local, IConnectionHandler handler)
    {
        _handshaking[socket] = 0;
        var endPoint = socket.RemoteEndPoint;
        var input = PipeReader.Create(new NetworkStream(socket, ownsSocket: false), ReaderOptions);
        TcpConnection? connection = null;
        try
        {
            Configure(socket);
            Preamble hello;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token))
            {
                timeout.CancelAfter(_options.PreambleTimeout);
                try
                {
                    hello = await Preamble.ReadAsync(input, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_disposing.IsCancellationRequested)
                {
                    _log.BadPreamble(endPoint, $"no preamble arrived within {_options.PreambleTimeout.TotalMilliseconds:0} ms");
                    return;
                }
            }

            var (remote, refusal) = Admit(local, hello);
            if (refusal is not null)
            {
                _log.Refused(endPoint, remote?.ToString() ?? "unknown peer", refusal);
                await SendPreambleAsync(socket, Preamble.Refuse(local, refusal)).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Send);
                return;
            }
            await SendPreambleAsync(socket, Preamble.Accept(local)).ConfigureAwait(false);
            connection = new TcpConnection(socket, input, remote!, handler, _options, _log, Forget);
            _connections[connection] = 0;
            if (_disposing.IsCancellationRequested)
            {
                connection.Close();
                return;
            }
            _log.Accepted(remote!.ToString(), endPoint);
            try
            {
                handler.OnAccepted(connection);
            }
            catch (Exception exception)
            {
                _log.HandlerFailed(remote.ToString(), exception);
                connection.Close(exception);
                return;
            }
            connection.Start();
        }
        catch (InvalidDataException exception)
        {
            _log.BadPreamble(endPoint, exception.Message);
        }
        catch (Exception exception) when (exception is EndOfStreamException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A peer that hangs up before saying anything (a TCP health check, a connector that gave up) or our own
            // shutdown: nothing to warn about.
            _log.LeftBeforePreamble(endPoint, exception.Message);
        }
        finally
        {
            _handshaking.TryRemove(socket, out _);
            if (connection is null)
            {
                await input.CompleteAsync().ConfigureAwait(false);
                socket.Dispose();
            }
        }
    }

    /// <summary>Who the connector is, and why it is refused (null when admitted).</summary>
    private static (ConnectionIdentity? Remote, string? Refusal) Admit(ConnectionIdentity local, Preamble hello)
    {
        if (hello.Version != Preamble.CurrentVersion)
        {
            return (null, $"protocol version {hello.Version} is not supported (this silo speaks version {Preamble.CurrentVersion})");
        }
        ConnectionIdentity remote;
        SiloAddress target;
        try
        {
            remote = hello.Kind switch
            {
                PreambleKind.SiloHello => ConnectionIdentity.ForSilo(hello.ClusterId, SiloAddress.Parse(hello.Identity)),
                PreambleKind.ClientHello => ConnectionIdentity.ForClient(hello.ClusterId, hello.Identity),
                _ => throw new InvalidDataException($"A connection must open with a greeting, not a {hello.Kind} preamble."),
            };
            target = SiloAddress.Parse(hello.Text);
        }
        catch (Exception exception) when (exception is FormatException or OverflowException)
        {
            throw new InvalidDataException($"The preamble is malformed: {exception.Message}", exception);
        }
        if (hello.ClusterId != local.ClusterId)
        {
            return (remote, $"cluster id '{hello.ClusterId}' does not match this silo's cluster '{local.ClusterId}'");
        }
        if (target != local.Silo)
        {
            var why = target.Endpoint == local.Silo!.Endpoint && target.Generation != local.Silo.Generation
                ? $"the connection is for silo {target}, but generation {local.Silo.Generation} of it listens here now"
                : $"the connection is for silo {target}, but this is silo {local.Silo}";
            return (remote, why);
        }
        return (remote, null);
    }

    // ---- Connecting --------------------------------------------------------------------------------------------

    /// <summary>
    /// Connects and exchanges preambles. Refused, unreachable, timed out (<paramref name="cancellationToken"/>, which
    /// the runtime cancels after its connect timeout), or answered by another silo: <see cref="SiloUnavailableException"/>.
    /// </summary>
    public async Task<IConnection> ConnectAsync(ConnectionIdentity local, SiloAddress remote, IConnectionHandler handler, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new SiloUnavailableException($"Cannot connect to silo {remote}: the transport is shut down.");
        }
        var endPoint = IPAddress.TryParse(remote.Host, out var address) ? (EndPoint)new IPEndPoint(address, remote.Port) : new DnsEndPoint(remote.Host, remote.Port);
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        PipeReader? input = null;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        var stage = "connecting";
        try
        {
            Configure(socket);
            await socket.ConnectAsync(endPoint, cancel.Token).ConfigureAwait(false);
            stage = "waiting for its preamble";
            input = PipeReader.Create(new NetworkStream(socket, ownsSocket: false), ReaderOptions);
            await SendPreambleAsync(socket, Preamble.Hello(local, remote)).ConfigureAwait(false);
            cancel.CancelAfter(_options.PreambleTimeout);
            var answer = await Preamble.ReadAsync(input, cancel.Token).ConfigureAwait(false);
            Verify(local, remote, answer);

            var connection = new TcpConnection(socket, input, ConnectionIdentity.ForSilo(local.ClusterId, remote), handler, _options, _log, Forget);
            _connections[connection] = 0;
            _log.Connected(remote.ToString(), socket.RemoteEndPoint);
            connection.Start();
            if (_disposing.IsCancellationRequested)
            {
                connection.Close();
            }
            return connection;
        }
        catch (Exception exception)
        {
            if (input is not null)
            {
                await input.CompleteAsync().ConfigureAwait(false);
            }
            socket.Dispose();
            throw exception switch
            {
                SiloUnavailableException unavailable => unavailable,
                OperationCanceledException when _disposing.IsCancellationRequested =>
                    new SiloUnavailableException($"Cannot connect to silo {remote}: the transport is shut down.", exception),
                OperationCanceledException when cancellationToken.IsCancellationRequested =>
                    new SiloUnavailableException($"Silo {remote} is unavailable: no answer from {remote.Endpoint} within the connect timeout ({stage}).", exception),
                OperationCanceledException =>
                    new SiloUnavailableException($"Silo {remote} is unavailable: {remote.Endpoint} accepted the connection but sent no preamble within {_options.PreambleTimeout.TotalMilliseconds:0} ms.", exception),
                SocketException socketError => new SiloUnavailableException($"Silo {remote} is unavailable: {Describe(socketError, remote)}.", exception),
                InvalidDataException or EndOfStreamException or IOException =>
                    new SiloUnavailableException($"Silo {remote} is unavailable: the connection to {remote.Endpoint} failed while {stage}: {exception.Message}", exception),
                _ => exception,
            };
        }
    }

    private static void Verify(ConnectionIdentity local, SiloAddress remote, Preamble answer)
    {
        if (answer.Version != Preamble.CurrentVersion)
        {
            throw new SiloUnavailableException($"Silo {remote} is unavailable: {remote.Endpoint} speaks protocol version {answer.Version}, not {Preamble.CurrentVersion}.");
        }
        if (answer.Kind == PreambleKind.Refused)
        {
            throw new SiloUnavailableException($"Silo {remote} refused the connection: {answer.Text}.");
        }
        if (answer.Kind != PreambleKind.Accepted)
        {
            throw new InvalidDataException($"expected an answer, got a {answer.Kind} preamble");
        }
        if (answer.ClusterId != local.ClusterId || answer.Identity != remote.ToString())
        {
            throw new SiloUnavailableException(
                $"Silo {remote} is unavailable: {remote.Endpoint} answered as silo {answer.Identity} of cluster '{answer.ClusterId}'.");
        }
    }

    private static string Describe(SocketException exception, SiloAddress remote) => exception.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"connection to {remote.Endpoint} refused (nothing listens there)",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown => $"{remote.Endpoint} is unreachable ({exception.Message})",
        SocketError.TimedOut => $"connecting to {remote.Endpoint} timed out",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"host '{remote.Host}' could not be resolved ({exception.Message})",
        SocketError.ConnectionReset or SocketError.ConnectionAborted => $"{remote.Endpoint} reset the connection",
        _ => $"connecting to {remote.Endpoint} failed: {exception.Message} ({exception.SocketErrorCode})",
    };

    // ---- Shared ------------------------------------------------------------------------------------------------

    private static void Configure(Socket socket)
    {
        // Frames are coalesced by the send loop already; Nagle would only add latency to request/response.
        socket.NoDelay = true;
    }

    private static async Task SendPreambleAsync(Socket socket, Preamble preamble) =>
        await socket.SendAsync(preamble.Encode(), SocketFlags.None).ConfigureAwait(false);

    private void Forget(TcpConnection connection) => _connections.TryRemove(connection, out _);

    /// <summary>Stops the listener and closes every connection (queued frames are still sent, within the close timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _disposing.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (var socket in _handshaking.Keys)
        {
            socket.Dispose();
        }
        var connections = _connections.Keys.ToArray();
        foreach (var connection in connections)
        {
            connection.Close();
        }
        await Task.WhenAll(connections.Select(c => c.Finished)).ConfigureAwait(false);
    }
}
