using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Atlas.Api.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Atlas.Simulator.Tests;

/// <summary>
/// The real Atlas API with its embedded platform (SQLite in a temporary folder), listening on free loopback ports for
/// HTTP and gRPC as a developer's <c>dotnet run --project src/Atlas.Api</c> would: the simulator reaches it over the
/// network, as it reaches any Atlas. The default city is the built-in one (assign dispatch, cash); a second city,
/// <see cref="OfferCity"/>, offers its rides and takes wallet payments. The token route's per-address limit is raised:
/// every simulated app asks for a token from the same address.
/// </summary>
/// <remarks><c>WebApplicationFactory</c>'s type argument only names Atlas.Api's assembly (its <c>Program</c> is ambiguous beside the simulator's).</remarks>
public sealed class PlatformOnKestrel : WebApplicationFactory<TokenService>
{
    public const string OfferCity = "offertown";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "atlas-simulator-tests", Guid.NewGuid().ToString("N"));

    public PlatformOnKestrel()
    {
        Url = new Uri($"http://127.0.0.1:{FreePort()}");
        GrpcUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        UseKestrel();
        StartServer();
    }

    public Uri Url { get; }

    public Uri GrpcUrl { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("urls", Url.ToString().TrimEnd('/'));
        builder.UseSetting("Atlas:DataPath", _dataPath);
        builder.UseSetting("Atlas:Grpc:Port", GrpcUrl.Port.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Atlas:Silo:Port", FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Atlas:ClusterId", $"sim-tests-{Guid.NewGuid():N}"[..20]);
        builder.UseSetting("RateLimits:TokenIssuing:PermitLimit", "100000");
        builder.UseSetting("GeoIndex:FlushInterval", "00:00:00.050");
        builder.UseSetting($"Markets:Cities:{OfferCity}:Dispatch", "offer");
        builder.UseSetting($"Markets:Cities:{OfferCity}:Payments:Default", "wallet");
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    /// <summary>A TCP port nothing listens on now (the OS picks it).</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformOnKestrel>
{
    public const string Name = "platform";
}
