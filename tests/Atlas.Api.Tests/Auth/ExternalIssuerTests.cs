using System.Net;
using System.Security.Cryptography;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Tests.Auth;

/// <summary>A host that accepts the tokens of <see cref="TestIdentityProvider"/> (Auth:Authority), with roles in a <c>roles</c> claim.</summary>
public sealed class ExternalIssuerFactory : ApiFactory
{
    public TestIdentityProvider IdentityProvider { get; } = TestIdentityProvider.Start();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Auth:Authority", IdentityProvider.Issuer),
        new("Auth:RequireHttpsMetadata", "false"),
        new("Auth:RoleClaim", "roles"),
        new("Auth:ClientSecrets:rider", "rider-secret"),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await IdentityProvider.DisposeAsync();
    }
}

public sealed class ExternalIssuerTests(ExternalIssuerFactory api) : IClassFixture<ExternalIssuerFactory>
{
    private TestIdentityProvider Idp => api.IdentityProvider;

    [Fact]
    public async Task A_token_of_the_identity_provider_is_accepted_with_the_role_from_its_roles_claim()
    {
        var userId = Scenario.NewId("rider");
        var token = Idp.Sign(new Dictionary<string, object> { ["sub"] = userId, ["roles"] = new[] { "offline_access", "rider" } });

        var wallet = await new ApiClient(api.CreateClient(), token).GetOkAsync("/wallet");

        Assert.Equal($"user:{userId}", wallet.Str("wallet_id"));
    }

    [Fact]
    public async Task The_apis_own_tokens_stay_valid_beside_the_identity_providers()
    {
        var token = await api.Client().PostOkAsync("/auth/token", new { user_id = "rider-own", role = "rider", client_secret = "rider-secret" });

        var wallet = await new ApiClient(api.CreateClient(), token.Str("access_token")).GetOkAsync("/wallet");

        Assert.Equal("user:rider-own", wallet.Str("wallet_id"));
    }

    [Fact]
    public async Task With_an_authority_the_token_route_is_no_longer_open_to_anyone()
    {
        using var response = await api.Client().PostAsync("/auth/token", new { user_id = "boss", role = "admin" });

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("urn:atlas:problem:invalid-client", problem.Str("type"));
    }

    [Fact]
    public async Task A_token_of_the_identity_provider_for_another_audience_is_a_401_saying_so()
    {
        var token = Idp.Sign(new Dictionary<string, object> { ["sub"] = "rider-1", ["roles"] = "rider" }, audience: "another-api");

        using var response = await new ApiClient(api.CreateClient(), token).GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("another audience", problem.Str("detail"));
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_in_the_identity_providers_name_signed_with_another_key_is_a_401()
    {
        using var forger = RSA.Create(2048);
        var token = Idp.Sign(new Dictionary<string, object> { ["sub"] = "rider-1", ["roles"] = "rider" },
            key: new RsaSecurityKey(forger) { KeyId = Idp.Key.KeyId });

        using var response = await new ApiClient(api.CreateClient(), token).GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("signature", problem.Str("detail"));
    }

    [Fact]
    public async Task A_valid_token_that_names_none_of_the_apis_roles_is_a_401_saying_why()
    {
        var token = Idp.Sign(new Dictionary<string, object> { ["sub"] = "someone", ["roles"] = "offline_access" });

        using var response = await new ApiClient(api.CreateClient(), token).GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("The token does not name a valid user and role.", problem.Str("detail"));
        Assert.Contains("error_description=\"The token does not name a valid user and role.\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_valid_token_for_the_wrong_role_is_a_403_problem()
    {
        var token = Idp.Sign(new Dictionary<string, object> { ["sub"] = "rider-1", ["roles"] = "rider" });

        using var response = await new ApiClient(api.CreateClient(), token).GetAsync("/driver/offer");

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:forbidden-role", problem.Str("type"));
    }
}
