using System.Net;
using System.Security.Cryptography;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Tests.Auth;

/// <summary>
/// An OpenID Connect identity provider on loopback (Kestrel): its discovery document and its JSON web key set (one RSA
/// key), and tokens signed with that key, as an operator's identity provider would issue them.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RSA _rsa = RSA.Create(2048);

    private TestIdentityProvider(WebApplication app, string issuer)
    {
        _app = app;
        Issuer = issuer;
        Key = new RsaSecurityKey(_rsa) { KeyId = "idp-key-1" };
    }

    /// <summary>The provider's issuer, also its authority (discovery under <c>/.well-known/openid-configuration</c>).</summary>
    public string Issuer { get; }

    public RsaSecurityKey Key { get; }

    public static TestIdentityProvider Start()
    {
        var port = ApiFactory.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var provider = new TestIdentityProvider(app, $"http://127.0.0.1:{port}");
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = provider.Issuer,
            ["jwks_uri"] = provider.Issuer + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var key = provider._rsa.ExportParameters(includePrivateParameters: false);
            return Results.Json(new Dictionary<string, object>
            {
                ["keys"] = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = provider.Key.KeyId,
                        ["n"] = Base64UrlEncoder.Encode(key.Modulus), ["e"] = Base64UrlEncoder.Encode(key.Exponent),
                    },
                },
            });
        });
        app.StartAsync().GetAwaiter().GetResult();
        return provider;
    }

    /// <summary>A token as the provider issues it: RS256 with its key, unless another key is given.</summary>
    public string Sign(IDictionary<string, object> claims, string audience = "atlas-api", SecurityKey? key = null, string? issuer = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key ?? Key, SecurityAlgorithms.RsaSha256),
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _rsa.Dispose();
    }
}
