using System.Net;
using Atlas.Api.Auth;
using Atlas.Bench.Children;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Atlas.Bench.ApiRequests;

/// <summary>
/// Atlas.Api's own Program on Kestrel (loopback), in production mode, with its default limits: its configuration,
/// middleware, auth and embedded Orleans silo (SQLite grain storage, reminders and ledger in a temporary folder), as the app runs.
/// </summary>
/// <remarks>
/// The type argument only names Atlas.Api's assembly, whose entry point the factory runs: <c>Program</c> itself is
/// ambiguous here, as the bench has a <c>Program</c> of its own.
/// </remarks>
internal sealed class AtlasApiServer : WebApplicationFactory<TokenService>
{
    /// <summary>The embedded silo's SQLite folder: a fresh one per run, deleted after, so runs never see each other's data.</summary>
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), $"atlas-bench-http-{Guid.NewGuid():N}");

    /// <summary>Settings a scenario adds to production's (e.g. the token route's limit for the city simulator's many apps).</summary>
    private readonly IReadOnlyDictionary<string, string> _settings;

    private AtlasApiServer(int port, IReadOnlyDictionary<string, string>? settings)
    {
        _settings = settings ?? new Dictionary<string, string>();
        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
        GrpcEndpoint = new IPEndPoint(IPAddress.Loopback, BenchChild.FreePort());
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>The gRPC (h2c) port of the position stream, a free one (not the default 8086, which a developer's API may hold).</summary>
    public IPEndPoint GrpcEndpoint { get; }

    public static AtlasApiServer Start(IReadOnlyDictionary<string, string>? settings = null)
    {
        var server = new AtlasApiServer(BenchChild.FreePort(), settings);
        // WebApplicationFactory would look for the project next to the solution; the build output has what it needs.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ATLAS_API", AppContext.BaseDirectory);
        server.UseKestrel();
        server.StartServer();
        return server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("urls", $"http://{Endpoint}");
        builder.UseSetting("Atlas:DataPath", _dataPath);
        builder.UseSetting("Atlas:Grpc:Port", GrpcEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The embedded Orleans silo on a free port (its default, 11111, may be taken on a shared machine); no gateway, as by default.
        builder.UseSetting("Atlas:Silo:Port", BenchChild.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Atlas:ClusterId", $"bench-http-{Guid.NewGuid():N}"[..20]);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Atlas", "Warning");
        builder.UseSetting("Logging:LogLevel:Orleans", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }
}
