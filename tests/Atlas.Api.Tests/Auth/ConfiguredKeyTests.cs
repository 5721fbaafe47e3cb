using System.Net;
using System.Text;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Tests.Auth;

/// <summary>A host with a configured signing key: tokens need the role's client secret.</summary>
public sealed class ConfiguredKeyFactory : ApiFactory
{
    public const string SigningKey = "test-signing-key-that-is-long-enough-0123456789";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Auth:SigningKey", SigningKey),
        new("Auth:ClientSecrets:rider", "rider-secret"),
        new("Auth:ClientSecrets:driver", "driver-secret"),
    ];
}

public sealed class ConfiguredKeyTests(ConfiguredKeyFactory api) : IClassFixture<ConfiguredKeyFactory>
{
    [Fact]
    public async Task A_token_request_with_the_roles_secret_gets_a_working_token()
    {
        var token = await api.Client().PostOkAsync("/auth/token", new { user_id = "rider-1", role = "rider", client_secret = "rider-secret" });

        var wallet = await new ApiClient(api.CreateClient(), token.Str("access_token")).GetOkAsync("/wallet");
        Assert.Equal("user:rider-1", wallet.Str("wallet_id"));
    }

    [Fact]
    public async Task A_token_request_without_a_secret_is_a_401()
    {
        using var response = await api.Client().PostAsync("/auth/token", new { user_id = "rider-1", role = "rider" });

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("urn:atlas:problem:invalid-client", problem.Str("type"));
    }

    [Fact]
    public async Task A_token_request_with_another_roles_secret_is_a_401()
    {
        using var response = await api.Client().PostAsync("/auth/token", new { user_id = "driver-1", role = "driver", client_secret = "rider-secret" });

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_role_without_a_configured_secret_gets_no_token()
    {
        using var response = await api.Client().PostAsync("/auth/token", new { user_id = "boss", role = "admin", client_secret = "" });

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_expired_token_is_a_401_saying_it_expired()
    {
        var expired = Sign(DateTime.UtcNow.AddHours(-2), DateTime.UtcNow.AddHours(-1), "atlas");

        using var response = await new ApiClient(api.CreateClient(), expired).GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.Str("detail"));
        Assert.Contains("error_description=\"The token has expired.\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_a_401()
    {
        var foreign = Sign(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), "someone-else");

        using var response = await new ApiClient(api.CreateClient(), foreign).GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("issued by someone else", problem.Str("detail"));
    }

    [Fact]
    public async Task A_token_signed_with_the_configured_key_is_accepted()
    {
        var token = Sign(DateTime.UtcNow, DateTime.UtcNow.AddHours(1), "atlas");

        var wallet = await new ApiClient(api.CreateClient(), token).GetOkAsync("/wallet");

        Assert.Equal("user:rider-7", wallet.Str("wallet_id"));
    }

    private static string Sign(DateTime issued, DateTime expires, string issuer) => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
        new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "atlas-api",
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = "rider-7", ["role"] = "rider" },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(ConfiguredKeyFactory.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
}
