namespace Atlas.Actors.Messaging;

/// <summary>Who is at one end of a connection, as declared in its preamble.</summary>
public sealed record ConnectionIdentity(string ClusterId, SiloAddress? Silo, string? ClientId)
{
    public static ConnectionIdentity ForSilo(string clusterId, SiloAddress silo) => new(clusterId, silo, null);

    public static ConnectionIdentity ForClient(string clusterId, string clientId) => new(clusterId, null, clientId);

    public bool IsClient => Silo is null;

    public override string ToString() => Silo is not null ? $"silo {Silo}" : $"client {ClientId}";
}

/// <summary>Receives what arrives on connections. Called on the transport's read loop: must not block.</summary>
public interface IConnectionHandler
{
    /// <summary>A whole frame arrived. The span is only valid during the call.</summary>
    void OnFrame(IConnection connection, ReadOnlySpan<byte> frame);

    /// <summary>An inbound connection completed its preamble.</summary>
    void OnAccepted(IConnection connection);

    /// <summary>The connection closed; <paramref name="reason"/> is null for an orderly close.</summary>
    void OnClosed(IConnection connection, Exception? reason);
}

/// <summary>
/// One ordered, bidirectional stream of frames. Frames are delivered in the order they were sent.
/// </summary>
public interface IConnection
{
    /// <summary>The identity the remote end declared in its preamble.</summary>
    ConnectionIdentity Remote { get; }

    bool IsOpen { get; }

    /// <summary>
    /// Queues a frame; the bytes are copied before this returns. Throws <see cref="SiloUnavailableException"/>
    /// if the connection is closed. A transport may block the caller while too much is queued for a slow peer
    /// (back-pressure), and may refuse empty frames or frames over its size limit.
    /// </summary>
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>Closes the connection; the handler's <see cref="IConnectionHandler.OnClosed"/> runs once.</summary>
    void Close(Exception? reason = null);
}

/// <summary>
/// Moves frames between silos and from clients. The runtime uses one outbound connection per remote silo
/// and answers each request on the connection it arrived on.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>
    /// Starts accepting connections for the silo <paramref name="local"/>. Connections whose preamble carries
    /// another cluster id, or names another generation of this silo, are refused.
    /// </summary>
    Task ListenAsync(ConnectionIdentity local, IConnectionHandler handler, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a connection to <paramref name="remote"/>, exchanging preambles. Fails with
    /// <see cref="SiloUnavailableException"/> if nothing answers, or if another silo (or generation) answers.
    /// </summary>
    Task<IConnection> ConnectAsync(ConnectionIdentity local, SiloAddress remote, IConnectionHandler handler, CancellationToken cancellationToken = default);
}
