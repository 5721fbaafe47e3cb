using System.Net;
using System.Net.Sockets;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>Garbage on a silo's port closes only that connection, with a logged reason.</summary>
[Collection(ProcessCollection.Name)]
public sealed class PortGarbageTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ProcessCluster.StartAsync(2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "random bytes", Enumerable.Range(0, 4_096).Select(i => (byte)(i * 7919 % 251)).ToArray() },
        { "an oversized length prefix", [0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3] },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_closes_that_connection_and_harms_nothing_else(string what, byte[] bytes)
    {
        var silo = _cluster.Silos[0];
        var warningsBefore = silo.Output.Count(line => line.Contains("warn", StringComparison.OrdinalIgnoreCase));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, silo.Port));

        await socket.SendAsync(bytes);
        socket.Shutdown(SocketShutdown.Send);
        var buffer = new byte[1_024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
        {
        }

        var keys = Enumerable.Range(0, 20).Select(i => $"garbage-{what}-{i}");
        Assert.All(await Task.WhenAll(keys.Select(k => _cluster.Grains.GetGrain<IProbeGrain>(k).Ping(7))), a => Assert.Equal(7, a.Value));
        Assert.False(silo.HasExited);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (silo.Output.Count(line => line.Contains("warn", StringComparison.OrdinalIgnoreCase)) <= warningsBefore)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no warning was logged for {what}");
            await Task.Delay(50);
        }
    }
}
