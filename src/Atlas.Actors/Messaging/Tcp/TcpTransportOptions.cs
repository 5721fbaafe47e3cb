namespace Atlas.Actors.Messaging.Tcp;

/// <summary>Limits and timeouts of the TCP transport between silos and from clients.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>
    /// The largest frame accepted or sent, in bytes (default 16 MiB, the default message size limit). A peer that
    /// announces a larger frame is cut off: its connection is closed, nothing else is affected.
    /// </summary>
    public int MaxFrameSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How long either side waits for the other's preamble (default 5 s). A connection that says nothing in time
    /// is closed, so idle or stray sockets cannot pile up on a silo's port.
    /// </summary>
    public TimeSpan PreambleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes a connection may hold queued for the socket before <see cref="IConnection.Send"/> blocks its caller until
    /// the socket drains (default 64 MiB). Bounds memory when a peer reads slower than it is written to.
    /// </summary>
    public long SendQueueLimit { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How long an orderly close waits for queued frames to reach the socket and for the peer to close its end
    /// before the socket is dropped (default 2 s).
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Connections the listener's accept queue holds before the OS refuses new ones (default 512).</summary>
    public int ListenBacklog { get; set; } = 512;

    internal void Validate()
    {
        if (MaxFrameSize < 64)
        {
            throw new AtlasConfigurationException($"TcpTransportOptions.MaxFrameSize must be at least 64 bytes; it is {MaxFrameSize}.");
        }
        if (SendQueueLimit < MaxFrameSize)
        {
            throw new AtlasConfigurationException(
                $"TcpTransportOptions.SendQueueLimit ({SendQueueLimit}) must be at least MaxFrameSize ({MaxFrameSize}): a single frame must fit in the queue.");
        }
        if (PreambleTimeout <= TimeSpan.Zero || CloseTimeout < TimeSpan.Zero)
        {
            throw new AtlasConfigurationException("TcpTransportOptions.PreambleTimeout must be positive and CloseTimeout not negative.");
        }
        if (ListenBacklog < 1)
        {
            throw new AtlasConfigurationException($"TcpTransportOptions.ListenBacklog must be positive; it is {ListenBacklog}.");
        }
    }
}
