namespace Atlas.Actors.Hosting;

/// <summary>Who a silo is and where it listens.</summary>
public sealed class SiloOptions
{
    /// <summary>Silos and clients talk only within one cluster id (default <c>dev</c>).</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>A name for logs and metrics (default: host:port).</summary>
    public string? SiloName { get; set; }

    /// <summary>The address other silos and clients reach this silo at (default 127.0.0.1).</summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>The port the silo listens on for silos and clients (default 11111).</summary>
    public int Port { get; set; } = 11111;

    /// <summary>The address to bind the listener to (default: any).</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";
}
