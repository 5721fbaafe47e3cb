using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Atlas.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Atlas.Bench.Http;

/// <summary>
/// Benchmark <c>http</c>: <c>POST /driver/location</c> through the whole Atlas stack (Kestrel on loopback, a real JWT,
/// rate limiting, validation, the driver grain of an embedded silo, the geo index) against a bare Kestrel endpoint
/// that deserializes the same body, with the same in-process closed-loop load generator and connection count, in the
/// same run. Every request is for a different driver than the ones before it (many drivers, each with its own token
/// and increasing timestamps), so the rate limit per driver is the production default and never the bottleneck.
/// </summary>
public static class HttpScenario
{
    public const string Target = ">= 0.5 and p99 < 10 ms";

    private const int Connections = 64;
    private const int DriversPerConnection = 256; // 16 384 drivers: each sends about once a second at 16 k requests/s


    public static async Task<JsonObject> RunAsync(bool quick, TextWriter progress)
    {
        // The machine is shared and its load drifts: the two servers take turns, several short rounds each, and each
        // side's rounds are pooled, so both see the same conditions.
        var rounds = quick ? 2 : 4;
        var warmup = TimeSpan.FromSeconds(quick ? 2 : 5);
        var measure = TimeSpan.FromSeconds(quick ? 4 : 8);
        var settle = TimeSpan.FromMilliseconds(500);
        var drivers = Connections * DriversPerConnection;
        var positions = DriverPositions(drivers);
        progress.WriteLine($"http: {Connections} connections, {drivers} drivers, {rounds} rounds of {measure.TotalSeconds:0} s per server");

        await using var bare = await BareServer.StartAsync();
        await using var api = new AtlasServer(FreePort());
        api.Start();
        var tokens = api.Services.GetRequiredService<TokenService>();
        var authorizations = Enumerable.Range(0, drivers).Select(i => "Bearer " + tokens.Issue(DriverId(i), Roles.Driver).AccessToken).ToArray();
        var bareLoad = new LoadGenerator(bare.Endpoint, Connections);
        var atlasLoad = new LoadGenerator(api.Endpoint, Connections);
        LoadGenerator.RequestWriter bareRequest = (w, s, buffer) => LocationRequest(w, s, positions, authorizations: null, bare.Endpoint, buffer);
        LoadGenerator.RequestWriter atlasRequest = (w, s, buffer) => LocationRequest(w, s, positions, authorizations, api.Endpoint, buffer);

        // Each driver's first update registers it: done before the clock runs, as in a platform that is up.
        var failed = await atlasLoad.PrimeAsync(drivers, i =>
        {
            var buffer = new byte[8192];
            return buffer[..Request(i, positions[i], authorizations[i], api.Endpoint, 0, buffer)];
        });
        progress.WriteLine($"http: registered {drivers} drivers ({failed} failed)");
        await bareLoad.RunAsync(bareRequest, warmup, TimeSpan.Zero);
        await atlasLoad.RunAsync(atlasRequest, warmup, TimeSpan.Zero);

        var baselineRounds = new List<LoadResult>();
        var atlasRounds = new List<LoadResult>();
        for (var round = 1; round <= rounds; round++)
        {
            baselineRounds.Add(await bareLoad.RunAsync(bareRequest, settle, measure));
            atlasRounds.Add(await atlasLoad.RunAsync(atlasRequest, settle, measure));
            progress.WriteLine($"http: round {round}: baseline {Describe(baselineRounds[^1])}; atlas {Describe(atlasRounds[^1])}");
        }
        var baseline = LoadResult.Combine(baselineRounds);
        var atlas = LoadResult.Combine(atlasRounds);
        progress.WriteLine($"http: baseline {Describe(baseline)}");
        progress.WriteLine($"http: atlas    {Describe(atlas)}");

        var ratio = atlas.RequestsPerSecond / baseline.RequestsPerSecond;
        return new JsonObject
        {
            ["scenario"] = "http",
            ["quick"] = quick,
            ["connections"] = Connections,
            ["drivers"] = drivers,
            ["measure_s"] = measure.TotalSeconds * rounds,
            ["atlas"] = Summary(atlas),
            ["baseline"] = Summary(baseline),
            ["ratio"] = Math.Round(ratio, 3),
            ["target"] = Target,
            ["met"] = ratio >= 0.5 && atlas.P99Ms < 10 && atlas.Errors == 0,
        };
    }

    /// <summary>Worker <paramref name="worker"/> cycles through its own drivers, so one driver's updates never overlap.</summary>
    private static int LocationRequest(int worker, long sequence, (double Lat, double Long)[] positions, string[]? authorizations, IPEndPoint host, Span<byte> buffer)
    {
        var driver = worker + Connections * (int)(sequence % DriversPerConnection);
        return Request(driver, positions[driver], authorizations?[driver], host, sequence, buffer);
    }

    /// <summary>Writes the whole HTTP/1.1 request: the same body for both servers, a bearer token for Atlas.</summary>
    private static int Request(int driver, (double Lat, double Long) at, string? authorization, IPEndPoint host, long jitter, Span<byte> buffer)
    {
        // A few metres of movement per update, so every update really moves the driver in the index.
        var lat = at.Lat + (jitter % 7) * 0.00001;
        Span<byte> body = stackalloc byte[256];
        var bodyLength = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"user_id":"{{DriverId(driver)}}","latitude":{{lat:R}},"longitude":{{at.Long:R}},"timestamp":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}"""), body);
        var head = string.Create(CultureInfo.InvariantCulture,
            $"POST /driver/location HTTP/1.1\r\nHost: {host}\r\n{(authorization is null ? "" : "Authorization: " + authorization + "\r\n")}Content-Type: application/json\r\nContent-Length: {bodyLength}\r\n\r\n");
        var headLength = Encoding.ASCII.GetBytes(head, buffer);
        body[..bodyLength].CopyTo(buffer[headLength..]);
        return headLength + bodyLength;
    }

    private static string DriverId(int index) => "bench-driver-" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Drivers spread over a 20 km square around Paris, reproducibly.</summary>
    private static (double Lat, double Long)[] DriverPositions(int count)
    {
        var random = new Random(42);
        return Enumerable.Range(0, count).Select(_ => (48.76 + random.NextDouble() * 0.18, 2.22 + random.NextDouble() * 0.27)).ToArray();
    }

    private static JsonObject Summary(LoadResult result) => new()
    {
        ["rps"] = Math.Round(result.RequestsPerSecond, 0),
        ["p50_ms"] = Math.Round(result.P50Ms, 3),
        ["p99_ms"] = Math.Round(result.P99Ms, 3),
        ["requests"] = result.Requests,
        ["errors"] = result.Errors,
        ["cpu_us_per_request"] = Math.Round(result.CpuMicrosecondsPerRequest, 1),
        ["gc_pause_ms"] = Math.Round(result.GcPause.TotalMilliseconds, 1),
        ["allocated_bytes_per_request"] = Math.Round(result.AllocatedBytesPerRequest, 0),
    };

    private static string Describe(LoadResult result) =>
        string.Create(CultureInfo.InvariantCulture, $"{result.RequestsPerSecond:0} req/s, p50 {result.P50Ms:0.000} ms, p99 {result.P99Ms:0.000} ms, {result.CpuMicrosecondsPerRequest:0} µs CPU/req, {result.AllocatedBytesPerRequest:0} B/req, GC paused {result.GcPause.TotalMilliseconds:0} ms ({result.Gen2Collections} gen2), {result.Errors} errors") +
        (result.ErrorSamples.Length > 0 ? " (" + string.Join("; ", result.ErrorSamples) + ")" : "");

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Atlas.Api's own Program on Kestrel (loopback), in production mode, with its default limits.</summary>
    private sealed class AtlasServer(int port) : WebApplicationFactory<Program>
    {
        public IPEndPoint Endpoint { get; } = new(IPAddress.Loopback, port);

        public void Start()
        {
            // WebApplicationFactory would look for the project next to the solution; the build output has what it needs.
            Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ATLAS_API", AppContext.BaseDirectory);
            UseKestrel();
            StartServer();
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("urls", $"http://{Endpoint}");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Atlas", "Warning");
            builder.UseSetting("Logging:LogLevel:Atlas.Actors", "Warning");
        }
    }

    /// <summary>The baseline: a minimal Kestrel endpoint that reads the same JSON body and answers like Atlas.</summary>
    private sealed class BareServer(WebApplication app, IPEndPoint endpoint) : IAsyncDisposable
    {
        public IPEndPoint Endpoint { get; } = endpoint;

        public static async Task<BareServer> StartAsync()
        {
            var port = FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, port));
            builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
            var app = builder.Build();
            app.MapPost("/driver/location", (BareLocation location) => TypedResults.Ok(new BareAnswer(location.Latitude is not null)));
            await app.StartAsync();
            return new BareServer(app, new IPEndPoint(IPAddress.Loopback, port));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed record BareLocation(string? UserId, double? Latitude, double? Longitude, long? Timestamp);

    private sealed record BareAnswer(bool Success);
}
