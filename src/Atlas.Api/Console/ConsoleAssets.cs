using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Atlas.Api.Console;

/// <summary>
/// The console's page, script and style, embedded in the assembly (Console/Assets): the console works offline and with
/// any content root. Everything the page loads comes from here; its Content-Security-Policy allows nothing else.
/// </summary>
internal static class ConsoleAssets
{
    private const string ResourcePrefix = "Atlas.Api.Console.Assets.";

    /// <summary>Only this origin: no script, style, font or image from elsewhere, no framing.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    public static IResult Serve(string name) =>
        Assets.TryGetValue(name, out var asset) ? new AssetResult(asset) : TypedResults.NotFound();

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    /// <summary>The asset with its validator: a browser revalidates each load (a deploy shows at once) and gets a 304 while unchanged.</summary>
    private sealed class AssetResult(Asset asset) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var headers = context.Response.Headers;
            headers.ETag = asset.ETag;
            headers.CacheControl = "no-cache";
            headers.XContentTypeOptions = "nosniff";
            headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
            headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            context.Response.ContentType = asset.ContentType;
            context.Response.ContentLength = asset.Bytes.Length;
            await context.Response.Body.WriteAsync(asset.Bytes, context.RequestAborted);
        }
    }
}
