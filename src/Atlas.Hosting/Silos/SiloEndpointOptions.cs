using System.Net;
using System.Net.Sockets;
using Atlas.Infrastructure;
using Orleans.Configuration;

namespace Atlas.Hosting.Silos;

/// <summary>Where a silo listens and what it tells the cluster (section <c>Atlas:Silo</c>).</summary>
public sealed class SiloEndpointOptions
{
    public const string SectionName = "Atlas:Silo";

    /// <summary>The silo-to-silo port (default 11111).</summary>
    public int Port { get; set; } = 11111;

    /// <summary>The port clients connect to (default 30000; 0: no gateway, as in the embedded platform).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients reach this silo at (default <c>127.0.0.1</c>; an IP address or a host name).</summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>The address the silo listens on (default <c>0.0.0.0</c>, every interface).</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// The silo's name in membership, logs and the dashboard (default <c>&lt;AdvertisedHost&gt;-&lt;Port&gt;</c>, which
    /// tells an operator which process it is; Orleans' own default is a random <c>Silo_xxxxx</c>).
    /// </summary>
    public string Name { get; set; } = "";

    /// <summary>The name the silo gets: <see cref="Name"/>, or its advertised host and port.</summary>
    public string SiloName => string.IsNullOrWhiteSpace(Name) ? $"{AdvertisedHost}-{Port}" : Name.Trim();

    /// <summary>Sets Orleans' <see cref="EndpointOptions"/> from these, resolving host names; a bad address fails start-up naming the setting.</summary>
    public void ApplyTo(EndpointOptions endpoints)
    {
        if (Port is <= 0 or > 65535)
        {
            throw new AtlasConfigurationException($"{SectionName}:Port must be a TCP port (1-65535), not {Port}.");
        }
        if (GatewayPort is < 0 or > 65535)
        {
            throw new AtlasConfigurationException($"{SectionName}:GatewayPort must be a TCP port (1-65535) or 0 for none, not {GatewayPort}.");
        }
        var advertised = Resolve(AdvertisedHost, nameof(AdvertisedHost));
        var listen = Resolve(ListenAddress, nameof(ListenAddress));
        endpoints.AdvertisedIPAddress = advertised;
        endpoints.SiloPort = Port;
        endpoints.GatewayPort = GatewayPort;
        endpoints.SiloListeningEndpoint = new IPEndPoint(listen, Port);
        endpoints.GatewayListeningEndpoint = GatewayPort == 0 ? null : new IPEndPoint(listen, GatewayPort);
    }

    private static IPAddress Resolve(string host, string setting)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new AtlasConfigurationException($"{SectionName}:{setting} '{host}' has no IPv4 address.");
        }
        catch (SocketException exception)
        {
            throw new AtlasConfigurationException($"{SectionName}:{setting} '{host}' is neither an IP address nor a host name that resolves here: {exception.Message}", exception);
        }
    }
}
