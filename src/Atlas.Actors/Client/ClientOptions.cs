namespace Atlas.Actors.Client;

/// <summary>Settings of a cluster client (e.g. the HTTP front-end).</summary>
public sealed class ClientOptions
{
    /// <summary>The cluster to join (default <c>dev</c>).</summary>
    public string ClusterId { get; set; } = "dev";

    /// <summary>A name for logs and metrics (default: a new id per process).</summary>
    public string ClientId { get; set; } = $"client-{Guid.NewGuid():N}";

    /// <summary>How often the client re-reads the membership table (default 2 s; also at once when a connection breaks).</summary>
    public TimeSpan ViewRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long <see cref="ClusterClient.ConnectAsync"/> waits for an active silo (default 30 s).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
