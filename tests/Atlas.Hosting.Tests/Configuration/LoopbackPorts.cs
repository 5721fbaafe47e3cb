using System.Net;
using System.Net.Sockets;

namespace Atlas.Hosting.Tests.Configuration;

/// <summary>Ports for silos of plain hosts, which other test processes on the machine may run beside.</summary>
internal static class LoopbackPorts
{
    /// <summary>A loopback port free now (the system's choice).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
