using Atlas.Api.Auth;
using Atlas.Api.Hosting;
using Atlas.Api.RateLimiting;
using Atlas.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Atlas.Api.Positions;

/// <summary>
/// gRPC for the position stream. Kestrel speaks HTTP/2 without TLS only on an endpoint that speaks nothing else (it
/// cannot tell an HTTP/1.1 request from an HTTP/2 preface on one port without TLS), so gRPC gets a port of its own
/// (<see cref="PositionStreamOptions.Port"/>) beside the API's HTTP/1.1 URLs.
/// </summary>
public static class PositionStreamHosting
{
    public static WebApplicationBuilder AddAtlasPositionStream(this WebApplicationBuilder builder)
    {
        // Unknown gRPC services get no catch-all endpoint: it would also match the REST routes ("/customer/order" has two
        // segments like "/service/method") and turn their 405s and 415s into gRPC's 404.
        builder.Services.AddGrpc(grpc => grpc.IgnoreUnknownServices = true);
        builder.Services.AddOptions<PositionStreamOptions>().BindConfiguration(PositionStreamOptions.SectionName);
        var options = builder.Configuration.GetSection(PositionStreamOptions.SectionName).Get<PositionStreamOptions>() ?? new PositionStreamOptions();
        var configuration = builder.Configuration;
        if (options.Port <= 0 || configuration.GetSection("Kestrel:Endpoints").Exists() ||
            !string.IsNullOrEmpty(configuration["http_ports"]) || !string.IsNullOrEmpty(configuration["https_ports"]))
        {
            return builder; // the host configures its endpoints itself (and an HTTP/2 one for gRPC, if it wants it)
        }
        // An endpoint set in code replaces the URLs (--urls, ASPNETCORE_URLS): they are set here too, as HTTP/1.1.
        var urls = (string.IsNullOrEmpty(configuration["urls"]) ? ApiPipeline.DefaultUrl : configuration["urls"]!)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(BindingAddress.Parse)
            .ToArray();
        if (urls.Any(u => !string.Equals(u.Scheme, "http", StringComparison.OrdinalIgnoreCase) || u.IsUnixPipe))
        {
            throw new AtlasConfigurationException(
                $"Atlas:Grpc:Port serves gRPC beside plain http:// URLs; with https or a unix socket configure Kestrel:Endpoints " +
                $"(one of them with Protocols Http2) and set Atlas:Grpc:Port to 0.");
        }
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, string.Empty); // listened to below: no "overriding address(es)" warning
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var url in urls)
            {
                Listen(kestrel, url.Host, url.Port, HttpProtocols.Http1);
            }
            Listen(kestrel, urls[0].Host, options.Port, HttpProtocols.Http2);
        });
        return builder;
    }

    public static WebApplication MapAtlasPositionStream(this WebApplication app)
    {
        app.MapGrpcService<PositionStreamService>().RequireAuthorization(Policies.Driver).RequireRateLimiting(RateLimitPolicies.PerCaller);
        return app;
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port, HttpProtocols protocols)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(port, l => l.Protocols = protocols);
        }
        else if (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            kestrel.Listen(address, port, l => l.Protocols = protocols);
        }
        else
        {
            kestrel.ListenAnyIP(port, l => l.Protocols = protocols); // '*', '+' or a host name: every interface
        }
    }
}
