using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Atlas.Actors.Messaging;

/// <summary>
/// The network of an in-process cluster: silos register their endpoints, and connections between them
/// copy every frame (so every message crossing a silo boundary is serialized, as over TCP).
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<string, Listener> _listeners = new();

    internal sealed record Listener(ConnectionIdentity Identity, IConnectionHandler Handler, ConcurrentDictionary<InMemoryConnection, byte> Connections);

    internal void Register(ConnectionIdentity identity, IConnectionHandler handler)
    {
        var silo = identity.Silo ?? throw new ArgumentException("Only silos listen.", nameof(identity));
        if (!_listeners.TryAdd(silo.Endpoint, new Listener(identity, handler, new())))
        {
            throw new InvalidOperationException($"Endpoint {silo.Endpoint} is already in use.");
        }
    }

    /// <summary>Removes a silo from the network and breaks every connection it has, as a crash would.</summary>
    public void Disconnect(SiloAddress silo)
    {
        if (_listeners.TryGetValue(silo.Endpoint, out var listener) && listener.Identity.Silo == silo &&
            _listeners.TryRemove(new KeyValuePair<string, Listener>(silo.Endpoint, listener)))
        {
            foreach (var connection in listener.Connections.Keys)
            {
                connection.Close(new SiloUnavailableException($"Silo {silo} is unreachable: the connection was reset."));
            }
        }
        // Connections the silo opened to others end with it too.
        foreach (var other in _listeners.Values)
        {
            foreach (var connection in other.Connections.Keys.Where(c => c.Remote.Silo == silo))
            {
                connection.Close(new SiloUnavailableException($"Silo {silo} is unreachable: the connection was reset."));
            }
        }
    }

    internal IConnection Connect(ConnectionIdentity local, SiloAddress remote, IConnectionHandler localHandler)
    {
        if (!_listeners.TryGetValue(remote.Endpoint, out var listener))
        {
            throw new SiloUnavailableException($"Silo {remote} is unavailable: connection to {remote.Endpoint} refused.");
        }
        if (listener.Identity.ClusterId != local.ClusterId)
        {
            throw new SiloUnavailableException($"Silo at {remote.Endpoint} belongs to cluster '{listener.Identity.ClusterId}', not '{local.ClusterId}'.");
        }
        if (listener.Identity.Silo != remote)
        {
            throw new SiloUnavailableException($"Silo {remote} is unavailable: {listener.Identity.Silo} now listens at {remote.Endpoint}.");
        }

        var outbound = new InMemoryConnection(listener.Identity, localHandler);
        var inbound = new InMemoryConnection(local, listener.Handler);
        outbound.Peer = inbound;
        inbound.Peer = outbound;
        listener.Connections[inbound] = 0;
        inbound.OnClose = () => listener.Connections.TryRemove(inbound, out _);
        listener.Handler.OnAccepted(inbound);
        if (!_listeners.ContainsKey(remote.Endpoint))
        {
            inbound.Close(new SiloUnavailableException($"Silo {remote} is unavailable."));
        }
        return outbound;
    }
}

/// <summary>An <see cref="ITransport"/> over an <see cref="InMemoryNetwork"/>.</summary>
public sealed class InMemoryTransport(InMemoryNetwork network) : ITransport
{
    private SiloAddress? _listening;

    public Task ListenAsync(ConnectionIdentity local, IConnectionHandler handler, CancellationToken cancellationToken = default)
    {
        network.Register(local, handler);
        _listening = local.Silo;
        return Task.CompletedTask;
    }

    public Task<IConnection> ConnectAsync(ConnectionIdentity local, SiloAddress remote, IConnectionHandler handler, CancellationToken cancellationToken = default) =>
        Task.FromResult(network.Connect(local, remote, handler));

    public ValueTask DisposeAsync()
    {
        if (_listening is not null)
        {
            network.Disconnect(_listening);
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>One end of an in-memory connection: frames sent here are delivered, in order, to the peer's handler.</summary>
internal sealed class InMemoryConnection : IConnection
{
    private readonly IConnectionHandler _handler;
    private readonly Channel<byte[]> _inbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private int _closed;

    public InMemoryConnection(ConnectionIdentity remote, IConnectionHandler handler)
    {
        Remote = remote;
        _handler = handler;
        _ = Task.Run(DeliverAsync);
    }

    public ConnectionIdentity Remote { get; }

    public InMemoryConnection Peer { get; set; } = null!;

    public Action? OnClose { get; set; }

    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    public void Send(ReadOnlySpan<byte> frame)
    {
        if (!IsOpen || !Peer._inbox.Writer.TryWrite(frame.ToArray()))
        {
            throw new SiloUnavailableException($"The connection to {Remote} is closed.");
        }
    }

    public void Close(Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _inbox.Writer.TryComplete();
        OnClose?.Invoke();
        _handler.OnClosed(this, reason);
        Peer.Close(reason);
    }

    private async Task DeliverAsync()
    {
        await foreach (var frame in _inbox.Reader.ReadAllAsync())
        {
            if (!IsOpen)
            {
                return;
            }
            _handler.OnFrame(this, frame);
        }
    }
}
