using System.Net;
using System.Text.Json;
using Atlas.Bench.Children;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Atlas.Bench.ApiRequests;

/// <summary>The baseline: a minimal Kestrel endpoint that reads the same JSON body as Atlas and answers like it.</summary>
internal sealed class BareKestrelServer(WebApplication app, IPEndPoint endpoint) : IAsyncDisposable
{
    public IPEndPoint Endpoint { get; } = endpoint;

    public static async Task<BareKestrelServer> StartAsync()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, BenchChild.FreePort());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(endpoint));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        var app = builder.Build();
        app.MapPost("/driver/location", (BareLocation location) => TypedResults.Ok(new BareAnswer(location.Latitude is not null)));
        await app.StartAsync();
        return new BareKestrelServer(app, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private sealed record BareLocation(string? UserId, double? Latitude, double? Longitude, long? Timestamp);

    private sealed record BareAnswer(bool Success);
}
