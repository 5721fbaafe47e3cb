using Atlas.Api.Auth;
using Atlas.Api.Errors;
using Atlas.Api.Idempotency;
using Atlas.Api.Json;
using Atlas.Api.Operations;
using Atlas.Api.RateLimiting;
using Microsoft.AspNetCore.DataProtection;

namespace Atlas.Api.Hosting;

/// <summary>The HTTP side of the API: services, and the middleware order (which matters, so it is written once, here).</summary>
public static class ApiPipeline
{
    /// <summary>Where the apps already call the API when nothing else is configured.</summary>
    public const string DefaultUrl = "http://0.0.0.0:8085";

    /// <summary>JSON conventions, problem details, auth, rate limits, OpenAPI, health, telemetry.</summary>
    public static WebApplicationBuilder AddAtlasApi(this WebApplicationBuilder builder)
    {
        // ASPNETCORE_URLS, --urls, ASPNETCORE_HTTP_PORTS or Kestrel:Endpoints win; a default in appsettings would not let them.
        var configuration = builder.Configuration;
        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["http_ports"]) &&
            string.IsNullOrEmpty(configuration["https_ports"]) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.Services.AddApiJson();
        builder.Services.AddApiErrors();
        builder.Services.AddApiAuthentication();
        builder.Services.AddApiRateLimits();
        builder.Services.AddApiOperations();
        builder.AddApiTelemetry();
        // Authentication pulls in data protection, which nothing here uses (no cookies): keep its keys out of the disk.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        // Stop taking requests, let those in flight finish, then stop the silo (its hosted service) gracefully.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = builder.Configuration.GetValue("ShutdownTimeout", TimeSpan.FromSeconds(30)));
        return builder;
    }

    /// <summary>
    /// Outermost first: errors (so every failure becomes a problem), routing, then authentication, authorization, rate
    /// limits, idempotency. HTTP metrics and spans come from ASP.NET Core's hosting layer, outside all of these, so they
    /// see the status actually sent and the matched route template.
    /// </summary>
    public static WebApplication UseAtlasApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<IdempotencyMiddleware>();
        return app;
    }
}
