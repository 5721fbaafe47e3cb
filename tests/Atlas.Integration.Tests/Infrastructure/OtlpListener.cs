using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>
/// An OTLP/HTTP collector on loopback (<see cref="HttpListener"/>) that keeps what the processes export to it
/// (<c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c>, protobuf) and answers 200.
/// </summary>
public sealed class OtlpListener : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    private OtlpListener(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    public ConcurrentQueue<OtlpExport> Exports { get; } = new();

    public static OtlpListener Start() => new(SiloProcess.FreePort());

    /// <summary>The settings (environment variables) that make a process export here over OTLP/HTTP, promptly.</summary>
    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
    };

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            Exports.Enqueue(new OtlpExport(context.Request.Url!.AbsolutePath.Split('/').Last(), body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}

/// <summary>One export: its signal (<c>traces</c>, <c>metrics</c>, <c>logs</c>) and protobuf body.</summary>
public sealed record OtlpExport(string Signal, byte[] Body)
{
    /// <summary>Whether the body holds <paramref name="text"/> (protobuf keeps strings as UTF-8).</summary>
    public bool Mentions(string text) => Contains(Encoding.UTF8.GetBytes(text));

    /// <summary>Whether the body holds these bytes (a trace id is 16 raw bytes in OTLP).</summary>
    public bool Contains(ReadOnlySpan<byte> bytes) => Body.AsSpan().IndexOf(bytes) >= 0;
}
