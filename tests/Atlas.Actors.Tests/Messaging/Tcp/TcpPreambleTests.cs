using System.Buffers.Binary;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>What each side checks before the first frame.</summary>
public sealed class TcpPreambleTests : IAsyncLifetime
{
    private TcpPeers _peers = null!;

    public async Task InitializeAsync() => _peers = await TcpPeers.StartAsync(o => o.PreambleTimeout = TimeSpan.FromMilliseconds(300));

    public async Task DisposeAsync() => await _peers.DisposeAsync();

    [Fact]
    public async Task Another_cluster_is_refused_with_a_reason_on_both_sides()
    {
        var stranger = ConnectionIdentity.ForClient("other-cluster", "stranger");

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => _peers.Client.ConnectAsync(stranger, _peers.Silo, _peers.ClientHandler));

        Assert.Contains($"Silo {_peers.Silo} refused the connection", error.Message);
        Assert.Contains("cluster id 'other-cluster' does not match this silo's cluster 'tcp-tests'", error.Message);
        await _peers.Logs.WaitForWarningAsync("Refused a connection", "client stranger", "'other-cluster'");
        Assert.Empty(_peers.ServerHandler.Accepted);
    }

    [Fact]
    public async Task A_connection_for_an_earlier_generation_of_the_silo_is_refused()
    {
        var earlier = _peers.Silo with { Generation = _peers.Silo.Generation - 1 };

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => _peers.Client.ConnectAsync(_peers.ClientIdentity, earlier, _peers.ClientHandler));

        Assert.Contains($"the connection is for silo {earlier}, but generation {_peers.Silo.Generation} of it listens here now", error.Message);
        await _peers.Logs.WaitForWarningAsync("Refused a connection", earlier.ToString());
        Assert.Empty(_peers.ServerHandler.Accepted);
    }

    [Fact]
    public async Task A_connection_that_sends_no_preamble_is_closed_after_the_timeout()
    {
        using var raw = await RawPeer.ConnectAsync(_peers.Silo.Port);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept a silent connection open");

        await _peers.Logs.WaitForWarningAsync("before its preamble", "no preamble arrived within 300 ms");
    }

    [Fact]
    public async Task Garbage_instead_of_a_preamble_closes_the_connection_with_a_logged_reason()
    {
        using var raw = await RawPeer.ConnectAsync(_peers.Silo.Port);

        await raw.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept a garbage connection open");
        await _peers.Logs.WaitForWarningAsync("before its preamble", "Not an Atlas connection", "0x47455420");
    }

    [Fact]
    public async Task Another_protocol_version_is_refused_with_the_version_named()
    {
        using var raw = await RawPeer.ConnectAsync(_peers.Silo.Port);
        var hello = Preamble.Hello(_peers.ClientIdentity, _peers.Silo).Encode();
        BinaryPrimitives.WriteUInt16LittleEndian(hello.AsSpan(4), 99);

        await raw.SendAsync(hello);
        var answer = await raw.ReadPreambleAsync();

        Assert.Equal(PreambleKind.Refused, answer.Kind);
        Assert.Contains("protocol version 99 is not supported", answer.Text);
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_valid_preamble_is_accepted_and_the_silo_names_itself()
    {
        using var raw = await RawPeer.ConnectAsync(_peers.Silo.Port);

        var answer = await raw.HandshakeAsync(TcpPeers.ClusterId, _peers.Silo);

        Assert.Equal(PreambleKind.Accepted, answer.Kind);
        Assert.Equal(_peers.Silo.ToString(), answer.Identity);
        var accepted = await _peers.ServerHandler.WaitForAcceptedAsync();
        Assert.Equal("raw-peer", accepted.Remote.ClientId);
    }
}
