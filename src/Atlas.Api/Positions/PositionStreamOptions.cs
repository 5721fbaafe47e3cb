namespace Atlas.Api.Positions;

/// <summary>The gRPC position stream (<c>Atlas:Grpc</c>).</summary>
public sealed class PositionStreamOptions
{
    public const string SectionName = "Atlas:Grpc";

    /// <summary>
    /// The HTTP/2 (h2c) port gRPC is served on, beside the HTTP/1.1 URLs (default 8086; 0: no port of its own, for hosts
    /// that configure Kestrel:Endpoints themselves or serve behind an HTTP/2 front).
    /// </summary>
    public int Port { get; set; } = 8086;

    /// <summary>Acknowledge after this many positions (default 64).</summary>
    public int AckEvery { get; set; } = 64;

    /// <summary>…or when this long has passed since the last acknowledgement (default 1 s), so a slow app hears back.</summary>
    public TimeSpan AckInterval { get; set; } = TimeSpan.FromSeconds(1);
}
