using System.Net;
using System.Net.Sockets;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>Frames through a real socket pair.</summary>
public sealed class TcpFrameTests : IAsyncLifetime
{
    private TcpPeers _peers = null!;

    public async Task InitializeAsync() => _peers = await TcpPeers.StartAsync();

    public async Task DisposeAsync() => await _peers.DisposeAsync();

    [Fact]
    public async Task A_one_mebibyte_frame_arrives_intact()
    {
        var (client, _) = await _peers.ConnectAsync();
        var frame = new byte[1024 * 1024];
        Random.Shared.NextBytes(frame);

        client.Send(frame);

        var received = await Wait.UntilAsync(() => _peers.ServerHandler.Frames.FirstOrDefault(), "the frame");
        Assert.Equal(frame, received);
    }

    [Fact]
    public async Task Many_small_frames_arrive_whole_and_in_order()
    {
        var (client, _) = await _peers.ConnectAsync();
        const int count = 20_000;

        await Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                client.Send(BitConverter.GetBytes(i).Concat(new byte[i % 37]).ToArray());
            }
        });

        await Wait.UntilAsync(() => _peers.ServerHandler.Frames.Count == count, $"{count} frames");
        var frames = _peers.ServerHandler.Frames;
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(4 + i % 37, frames[i].Length);
            Assert.Equal(i, BitConverter.ToInt32(frames[i]));
        }
    }

    [Fact]
    public async Task The_accepting_side_answers_on_the_same_connection()
    {
        _peers.ServerHandler.OnFrameReceived = (connection, frame) => connection.Send([.. frame, .. "!"u8]);
        var (client, _) = await _peers.ConnectAsync();

        client.Send("ping"u8);

        var answer = await Wait.UntilAsync(() => _peers.ClientHandler.Frames.FirstOrDefault(), "the answer");
        Assert.Equal("ping!"u8.ToArray(), answer);
    }

    [Fact]
    public async Task Each_end_knows_who_the_other_is()
    {
        var (client, server) = await _peers.ConnectAsync();

        Assert.Equal(_peers.Silo, client.Remote.Silo);
        Assert.Equal(TcpPeers.ClusterId, client.Remote.ClusterId);
        Assert.True(server.Remote.IsClient);
        Assert.Equal("test-client", server.Remote.ClientId);
    }

    [Fact]
    public async Task An_empty_frame_is_refused_by_Send_because_a_zero_length_prefix_is_a_protocol_violation()
    {
        var (client, _) = await _peers.ConnectAsync();

        Assert.Throws<ArgumentException>(() => client.Send([]));
        Assert.True(client.IsOpen);
    }

    [Fact]
    public async Task A_frame_over_the_limit_is_refused_by_Send_and_the_connection_stays_open()
    {
        await using var peers = await TcpPeers.StartAsync(o => { o.MaxFrameSize = 1024; o.SendQueueLimit = 64 * 1024; });
        var (client, _) = await peers.ConnectAsync();

        var error = Assert.Throws<GrainSerializationException>(() => client.Send(new byte[1025]));

        Assert.Contains("1025", error.Message);
        client.Send(new byte[1024]);
        await Wait.UntilAsync(() => peers.ServerHandler.Frames.Count == 1, "the frame within the limit");
    }

    [Fact]
    public async Task Closing_one_end_closes_both_once_with_no_reason()
    {
        var (client, server) = await _peers.ConnectAsync();

        client.Close();
        client.Close();

        await Wait.UntilAsync(() => _peers.ServerHandler.Closed.Count == 1, "the server end to close");
        Assert.Same(server, _peers.ServerHandler.Closed[0].Connection);
        Assert.Null(_peers.ServerHandler.Closed[0].Reason);
        Assert.Single(_peers.ClientHandler.Closed);
        Assert.Null(_peers.ClientHandler.Closed[0].Reason);
        Assert.False(server.IsOpen);
        Assert.Throws<SiloUnavailableException>(() => client.Send("late"u8));
    }

    [Fact]
    public async Task Frames_sent_just_before_an_orderly_close_are_still_delivered()
    {
        var (client, _) = await _peers.ConnectAsync();

        for (var i = 0; i < 100; i++)
        {
            client.Send(new byte[10_000]);
        }
        client.Close();

        await Wait.UntilAsync(() => _peers.ServerHandler.Closed.Count == 1, "the server end to close");
        Assert.Equal(100, _peers.ServerHandler.Frames.Count);
    }

    [Fact]
    public async Task Disposing_the_transport_closes_its_connections_and_stops_listening()
    {
        var (client, _) = await _peers.ConnectAsync();

        await _peers.Server.DisposeAsync();

        await Wait.UntilAsync(() => !client.IsOpen, "the client end to close");
        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => _peers.Client.ConnectAsync(_peers.ClientIdentity, _peers.Silo, _peers.ClientHandler));
        Assert.Contains("refused", error.Message);
    }

    [Fact]
    public async Task Connecting_where_nothing_listens_fails_with_SiloUnavailableException()
    {
        var nowhere = new SiloAddress("127.0.0.1", TcpPeers.FreePort(), 1);

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => _peers.Client.ConnectAsync(_peers.ClientIdentity, nowhere, _peers.ClientHandler));

        Assert.Contains(nowhere.ToString(), error.Message);
        Assert.Contains("refused", error.Message);
    }

    [Fact]
    public async Task Connecting_honours_the_cancellation_token_when_the_other_end_never_answers()
    {
        // Accepts at the TCP level (the OS backlog) but never speaks.
        using var mute = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        mute.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        mute.Listen(10);
        var silo = new SiloAddress("127.0.0.1", ((IPEndPoint)mute.LocalEndPoint!).Port, 1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => _peers.Client.ConnectAsync(_peers.ClientIdentity, silo, _peers.ClientHandler, timeout.Token));

        Assert.Contains("connect timeout", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }
}
