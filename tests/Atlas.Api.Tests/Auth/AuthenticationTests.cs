using System.Net;
using Atlas.Api.Auth;
using Atlas.Api.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Tests.Auth;

[Collection(ApiCollection.Name)]
public sealed class AuthenticationTests(ApiFactory api)
{
    public static TheoryData<string, string> ProtectedRoutes => new()
    {
        { "POST", "/customer/order" },
        { "POST", "/customer/ride/request" },
        { "GET", "/customer/order?id=x" },
        { "POST", "/customer/order/x/cancel" },
        { "GET", "/customer/rides" },
        { "POST", "/driver/location" },
        { "PUT", "/driver/order/status" },
        { "POST", "/driver/online" },
        { "GET", "/driver/offer" },
        { "POST", "/wallet/topup" },
        { "GET", "/wallet" },
        { "GET", "/admin/rides/x" },
        { "GET", "/metrics" },
    };

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task A_protected_route_without_a_token_is_a_401_problem_with_a_bearer_challenge(string method, string path)
    {
        using var response = await api.Client().SendAsync(new HttpMethod(method), path, method == "GET" ? null : new { });

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("urn:atlas:problem:unauthenticated", problem.Str("type"));
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_malformed_token_is_a_401_saying_why()
    {
        var client = new ApiClient(api.CreateClient(), "not.a.jwt");

        using var response = await client.GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("not a valid JWT", problem.Str("detail"));
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter);
        Assert.Contains("error_description=\"The token is not a valid JWT.\"", challenge.Parameter);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_a_401()
    {
        // Another process in development mode: same issuer and audience, its own random key.
        var other = new TokenService(Options.Create(new AuthOptions()), TimeProvider.System);
        var foreign = other.Issue("rider-1", "rider").AccessToken;
        var client = new ApiClient(api.CreateClient(), foreign);

        using var response = await client.GetAsync("/wallet");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("signature", problem.Str("detail"));
        Assert.Contains("signature", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_altered_after_its_genuine_self_was_accepted_is_still_a_401()
    {
        // Accepted tokens are remembered (RememberingTokenHandler): by their exact text, so a forgery is validated afresh.
        var rider = api.Rider(Scenario.NewId("rider"));
        await rider.GetOkAsync("/wallet");
        var parts = rider.Token!.Split('.');
        var forgedPayload = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
                System.Text.Encoding.UTF8.GetString(Base64UrlDecode(parts[1])).Replace("\"rider\"", "\"admin\"")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var forged = new ApiClient(api.CreateClient(), $"{parts[0]}.{forgedPayload}.{parts[2]}");

        using var response = await forged.GetAsync("/admin/rides/x");

        var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("signature", problem.Str("detail"));
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }

    [Fact]
    public async Task A_basic_authorization_header_is_a_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/wallet");
        request.Headers.Authorization = new("Basic", "dXNlcjpwYXNz");

        using var response = await api.CreateClient().SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task In_development_mode_the_token_route_issues_a_working_token_for_any_user_and_role()
    {
        var anonymous = api.Client();
        var userId = Scenario.NewId("rider");

        var token = await anonymous.PostOkAsync("/auth/token", new { user_id = userId, role = "rider" });

        Assert.Equal("Bearer", token.Str("token_type"));
        Assert.Equal(3600, token.Long("expires_in"));
        var wallet = await new ApiClient(api.CreateClient(), token.Str("access_token")).GetOkAsync("/wallet");
        Assert.Equal($"user:{userId}", wallet.Str("wallet_id"));
    }

    [Fact]
    public async Task A_token_request_without_user_id_is_a_400_naming_it()
    {
        using var response = await api.Client().PostAsync("/auth/token", new { role = "rider" });

        await response.ValidationProblemAsync("user_id");
    }

    [Fact]
    public async Task A_token_request_for_an_unknown_role_is_a_400_naming_role()
    {
        using var response = await api.Client().PostAsync("/auth/token", new { user_id = "u1", role = "root" });

        await response.ValidationProblemAsync("role");
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/version")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs/")]
    [InlineData("/docs/scalar.js")]
    public async Task Health_version_and_docs_need_no_token(string path)
    {
        using var response = await api.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
