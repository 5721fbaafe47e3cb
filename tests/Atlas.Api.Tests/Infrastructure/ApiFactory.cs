using System.Net;
using System.Net.Sockets;
using Atlas.Api.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Atlas.Api.Tests.Infrastructure;

/// <summary>
/// The API with its embedded silo on a silo port of its own (several hosts run in one test process), the default city
/// offering economy rides paid from the wallet, and test timings: offers that expire in 10 s (long enough for a test
/// on a loaded machine to answer, short enough to see), payment retries every second, fast index flushes, and
/// per-caller limits high enough that tests do not trip them by accident.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    /// <summary>The embedded platform's data folder: one per host, removed with it unless a subclass keeps it.</summary>
    public string DataPath { get; init; } = Path.Combine(Path.GetTempPath(), "atlas-api-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Whether disposing the host deletes <see cref="DataPath"/> (a restarted host reuses it).</summary>
    public bool DeleteDataOnDispose { get; init; } = true;

    /// <summary>
    /// The embedded silo's silo-to-silo port: a free one per host, never the default 11111, because several hosts (the
    /// shared one and those of single tests) run in this process at once, and a developer's <c>dotnet run</c> may too.
    /// </summary>
    public int SiloPort { get; init; } = FreePort();

    /// <summary>Settings every test host gets; subclasses add or override.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Atlas:DataPath", DataPath),
        new("Atlas:Silo:Port", SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Dispatch:OfferTimeout", "00:00:10"),
        new("Dispatch:PaymentRetryInterval", "00:00:01"),
        new("GeoIndex:FlushInterval", "00:00:00.050"),
        new("RateLimits:PerCaller:PermitLimit", "100000"),
        new("RateLimits:TokenIssuing:PermitLimit", "100000"),
        // Every scrape renders afresh: a test reads /metrics right after the requests it counts.
        new("Telemetry:Prometheus:ScrapeResponseCacheDurationMilliseconds", "0"),
        // Most tests exercise offers (accept, decline, time-outs) and wallet payments on economy rides; the built-in
        // default city assigns at once and takes cash on motorbike rides (MarketDefaultsTests runs those defaults).
        new("Markets:Cities:default:Dispatch", "offer"),
        new("Markets:Cities:default:DefaultVehicleClass", "economy"),
        new("Markets:Cities:default:Payments:Default", "wallet"),
    ];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (DeleteDataOnDispose && Directory.Exists(DataPath))
        {
            Directory.Delete(DataPath, recursive: true);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>A token straight from the service (the token route has its own tests).</summary>
    public string TokenFor(string userId, string role) => Services.GetRequiredService<TokenService>().Issue(userId, role).AccessToken;

    public ApiClient Client(string? userId = null, string? role = null) =>
        new(CreateClient(), userId is null || role is null ? null : TokenFor(userId, role));

    public ApiClient Rider(string riderId) => Client(riderId, Roles.Rider);

    public ApiClient Driver(string driverId) => Client(driverId, Roles.Driver);

    public ApiClient Admin() => Client("admin-" + Guid.NewGuid().ToString("N")[..8], Roles.Admin);

    public Scenario Scenario() => new(this);

    /// <summary>A TCP port nothing listens on now (the OS picks it; it does not hand it out again at once).</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>The host most tests share; tests that need other settings make their own factory.</summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFactory>
{
    public const string Name = "api";
}
