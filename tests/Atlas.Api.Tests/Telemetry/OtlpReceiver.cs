using System.Collections.Concurrent;
using System.Net;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Atlas.Api.Tests.Telemetry;

/// <summary>
/// An OTLP/HTTP endpoint on loopback (Kestrel) that records what exporters post to it (<c>/v1/traces</c>,
/// <c>/v1/metrics</c>, <c>/v1/logs</c>), or, when told to stall, takes the requests and never answers — a collector
/// that hangs.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private OtlpReceiver(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<OtlpPost> Posts { get; } = new();

    public static async Task<OtlpReceiver> StartAsync(bool stall = false)
    {
        var port = ApiFactory.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, new Uri($"http://127.0.0.1:{port}"));
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            receiver.Posts.Enqueue(new OtlpPost(signal, request.ContentType, body.ToArray()));
            if (stall)
            {
                await Task.Delay(Timeout.Infinite, receiver._stopping.Token).ContinueWith(_ => { });
            }
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Answers the stalled exports, so that the exporters (and the host that waits for them when it stops) move on.</summary>
    public Task ReleaseAsync() => _stopping.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}

/// <summary>One export: the signal (<c>traces</c>, <c>metrics</c>, <c>logs</c>), its content type and its protobuf body.</summary>
public sealed record OtlpPost(string Signal, string? ContentType, byte[] Body)
{
    /// <summary>Whether the body holds <paramref name="text"/> as UTF-8 (protobuf stores strings as is).</summary>
    public bool Mentions(string text) => Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
}
