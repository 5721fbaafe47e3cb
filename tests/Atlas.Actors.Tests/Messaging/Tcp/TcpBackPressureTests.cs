using Atlas.Actors.Messaging;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>
/// A peer that stops reading: once the socket buffers and the send queue are full, Send blocks its caller, and
/// resumes or fails when the peer reads again or the connection closes.
/// </summary>
[Collection(SocketsCollection.Name)]
public sealed class TcpBackPressureTests : IAsyncLifetime
{
    private const int FrameSize = 32 * 1024;
    private readonly ManualResetEventSlim _readerReleased = new(false);
    private TcpPeers _peers = null!;
    private long _sent;

    public async Task InitializeAsync()
    {
        _peers = await TcpPeers.StartAsync(o =>
        {
            o.MaxFrameSize = 64 * 1024;
            o.SendQueueLimit = 256 * 1024;
            o.CloseTimeout = TimeSpan.FromMilliseconds(200);
        });
        // The server's read loop stalls in the handler: it stops reading the socket.
        _peers.ServerHandler.OnFrameReceived = (_, _) => _readerReleased.Wait(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        _readerReleased.Set();
        await _peers.DisposeAsync();
    }

    [Fact]
    public async Task Send_blocks_when_the_peer_stops_reading_and_throws_once_the_connection_is_closed()
    {
        var (client, _) = await _peers.ConnectAsync();
        var sender = StartSending(client, int.MaxValue);
        await WaitUntilBlockedAsync(sender);

        client.Close();

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => sender.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("closed", error.Message);
    }

    [Fact]
    public async Task A_blocked_Send_throws_when_the_peer_drops_the_connection()
    {
        var (client, server) = await _peers.ConnectAsync();
        var sender = StartSending(client, int.MaxValue);
        await WaitUntilBlockedAsync(sender);

        server.Close(new InvalidOperationException("dropped by the test"));

        await Assert.ThrowsAsync<SiloUnavailableException>(() => sender.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_blocked_Send_resumes_when_the_peer_reads_again_and_every_frame_arrives_in_order()
    {
        var (client, _) = await _peers.ConnectAsync();
        using var stop = new CancellationTokenSource();
        var sender = StartSending(client, int.MaxValue, stop.Token);
        await WaitUntilBlockedAsync(sender);

        stop.Cancel();
        _readerReleased.Set();

        await sender.WaitAsync(TimeSpan.FromSeconds(30));
        var total = (int)Interlocked.Read(ref _sent);
        await Wait.UntilAsync(() => _peers.ServerHandler.Frames.Count == total, $"{total} frames", TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, total), _peers.ServerHandler.Frames.Select(f => BitConverter.ToInt32(f)));
    }

    private Task StartSending(IConnection connection, int count, CancellationToken stop = default) => Task.Factory.StartNew(() =>
    {
        var frame = new byte[FrameSize];
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            BitConverter.TryWriteBytes(frame, i);
            connection.Send(frame);
            Interlocked.Increment(ref _sent);
        }
    }, TaskCreationOptions.LongRunning);

    /// <summary>Blocked: the sender is still running but has not completed a Send for a while.</summary>
    private async Task WaitUntilBlockedAsync(Task sender)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var before = Interlocked.Read(ref _sent);
            await Task.Delay(500);
            Assert.False(sender.IsCompleted, $"the sender ended after {Interlocked.Read(ref _sent)} frames: {sender.Exception?.InnerException?.Message}");
            if (Interlocked.Read(ref _sent) == before && before > 0)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Send never blocked ({Interlocked.Read(ref _sent)} frames sent)");
        }
    }
}
