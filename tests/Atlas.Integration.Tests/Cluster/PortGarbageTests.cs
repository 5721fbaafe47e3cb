using System.Net;
using System.Net.Sockets;
using Atlas.Grains.Diagnostics;
using Atlas.Integration.Tests.Infrastructure;
using Atlas.Testing.Servers;

namespace Atlas.Integration.Tests.Cluster;

/// <summary>Garbage on a silo's ports (a port scanner, a misdirected client) closes that connection and nothing else.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class PortGarbageTests(SharedCluster shared)
{
    private ProcessCluster Cluster => shared.Cluster;

    public static TheoryData<string, string, byte[]> Garbage => new()
    {
        { "silo", "random bytes", Enumerable.Range(0, 4_096).Select(i => (byte)(i * 7919 % 251)).ToArray() },
        { "silo", "an HTTP request", "GET / HTTP/1.1\r\nHost: silo\r\n\r\n"u8.ToArray() },
        { "silo", "a huge length prefix", [0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3] },
        { "gateway", "random bytes", Enumerable.Range(0, 4_096).Select(i => (byte)(i * 7919 % 251)).ToArray() },
        { "gateway", "an HTTP request", "GET / HTTP/1.1\r\nHost: silo\r\n\r\n"u8.ToArray() },
        { "gateway", "a huge length prefix", [0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3] },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Garbage_closes_that_connection_and_the_cluster_goes_on_serving(string port, string what, byte[] bytes)
    {
        var silo = Cluster.Silos[0];
        var linesBefore = silo.Output.Count;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var target = port == "silo" ? silo.Port : silo.GatewayPort;
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target));

        await socket.SendAsync(bytes);
        // The silo closes the connection (the read ends) — without waiting for us to hang up first.
        var buffer = new byte[1_024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
        {
        }

        Assert.False(silo.HasExited);
        // Every silo still answers, this one's gateway included (the client's connection to it was not touched).
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Cluster.Grains.GetGrain<IProbeGrain>($"garbage-{Guid.NewGuid():N}").Ping(i)));
        Assert.Equal(Enumerable.Range(0, 30), answers.Select(a => a.Value));
        Assert.Equal(Cluster.Silos.Select(s => s.Port).Order(), await Cluster.Membership.ActivePortsAsync());
        // The silo logged that it closed this connection (the one from our local port), and why.
        await TestServices.UntilAsync(() => Task.FromResult(silo.Output.Skip(linesBefore).Any(line =>
                line.Contains($"Closing connection [Local: 127.0.0.1:{target}, Remote: {socket.LocalEndPoint}", StringComparison.Ordinal)
                && line.Contains("\"Exception\":", StringComparison.Ordinal))),
            $"the silo to log why it closed the connection that sent {what}", TimeSpan.FromSeconds(10));
    }
}
