using System.Buffers.Binary;
using Atlas.Actors.Messaging;
using Atlas.Actors.Messaging.Tcp;
using Atlas.Actors.Testing;
using Atlas.Actors.Tests.Grains;

namespace Atlas.Actors.Tests.Messaging.Tcp;

/// <summary>
/// Garbage on a silo's port closes the offending connection only: a healthy connection opened before keeps
/// exchanging frames and the silo keeps serving grain calls.
/// </summary>
[Collection(SocketsCollection.Name)]
public sealed class TcpGarbageTests : IAsyncLifetime
{
    private const byte Ping = 3;
    private const byte Pong = 4;
    private readonly LogCapture _logs = new();
    private readonly TestProbe _probe = new();
    private readonly RecordingHandler _healthyHandler = new();
    private TestCluster _cluster = null!;
    private TcpTransport _healthyTransport = null!;
    private IConnection _healthy = null!;
    private long _nextPing;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1) { LoggerFactory = _logs.Factory }.UseTcpTransport(o => o.PreambleTimeout = TimeSpan.FromSeconds(2));
        _cluster = ActorsFixture.Configure(builder, _probe).Build();
        await _cluster.DeployAsync();
        _healthyTransport = new TcpTransport();
        _healthy = await _healthyTransport.ConnectAsync(ConnectionIdentity.ForClient("test", "healthy"), Silo, _healthyHandler);
        await AssertHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        await _healthyTransport.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private SiloAddress Silo => _cluster.Primary.Address;

    [Fact]
    public async Task Random_bytes_close_only_their_connection()
    {
        using var raw = await RawPeer.ConnectAsync(Silo.Port);
        var garbage = new byte[4096];
        new Random(42).NextBytes(garbage);

        await raw.SendAsync(garbage);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept the garbage connection open");
        await _logs.WaitForWarningAsync("Not an Atlas connection");
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task Random_bytes_after_a_valid_preamble_close_only_their_connection()
    {
        using var raw = await RawPeer.ConnectAsync(Silo.Port);
        Assert.Equal(PreambleKind.Accepted, (await raw.HandshakeAsync("test", Silo)).Kind);
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        BinaryPrimitives.WriteInt32LittleEndian(garbage, -123_456);

        await raw.SendAsync(garbage);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept the garbage connection open");
        await _logs.WaitForWarningAsync("client raw-peer", "A frame length of -123456 is not valid");
        await AssertHealthyAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task A_zero_or_negative_length_prefix_closes_only_its_connection(int length)
    {
        using var raw = await RawPeer.ConnectAsync(Silo.Port);
        await raw.HandshakeAsync("test", Silo);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, length);

        await raw.SendAsync(prefix);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept the connection open");
        await _logs.WaitForWarningAsync("client raw-peer", $"A frame length of {length} is not valid");
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task An_oversized_length_prefix_closes_only_its_connection()
    {
        using var raw = await RawPeer.ConnectAsync(Silo.Port);
        await raw.HandshakeAsync("test", Silo);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, int.MaxValue);

        await raw.SendAsync(prefix);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept the connection open");
        await _logs.WaitForWarningAsync("client raw-peer", $"A frame of {int.MaxValue} bytes is over the {16 * 1024 * 1024}-byte limit");
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task A_truncated_frame_then_close_is_logged_and_harms_nothing_else()
    {
        using var raw = await RawPeer.ConnectAsync(Silo.Port);
        await raw.HandshakeAsync("test", Silo);
        var partial = new byte[4 + 10];
        BinaryPrimitives.WriteInt32LittleEndian(partial, 100);

        await raw.SendAsync(partial);
        raw.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept the connection open");
        await _logs.WaitForWarningAsync("client raw-peer", "The connection ended inside a frame (14 byte(s) of it had arrived)");
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task An_undecodable_frame_closes_only_its_connection()
    {
        using var raw = await RawPeer.ConnectAsync(Silo.Port);
        await raw.HandshakeAsync("test", Silo);

        await raw.SendFrameAsync([0xEE, 1, 2, 3]);

        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silo kept the connection open");
        await _logs.WaitForWarningAsync("Unknown frame kind 238");
        await AssertHealthyAsync();
    }

    /// <summary>The healthy connection is still open and answers a probe, and the silo serves grain calls.</summary>
    private async Task AssertHealthyAsync()
    {
        Assert.True(_healthy.IsOpen, "the healthy connection was closed");
        Assert.Empty(_healthyHandler.Closed);
        var id = Interlocked.Increment(ref _nextPing);
        var ping = new byte[9];
        ping[0] = Ping;
        BinaryPrimitives.WriteInt64LittleEndian(ping.AsSpan(1), id);
        _healthy.Send(ping);
        await Wait.UntilAsync(
            () => _healthyHandler.Frames.Any(f => f.Length == 9 && f[0] == Pong && BinaryPrimitives.ReadInt64LittleEndian(f.AsSpan(1)) == id),
            $"the answer to probe {id}");

        var counter = _cluster.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid().ToString("N"));
        Assert.Equal(1, await counter.Increment());
    }
}
