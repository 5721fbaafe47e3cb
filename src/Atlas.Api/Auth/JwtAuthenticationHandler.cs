using System.Text.Encodings.Web;
using Atlas.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Auth;

/// <summary>
/// Bearer-token authentication with <see cref="TokenService"/> (the JwtBearer package does not restore here).
/// Challenges and refusals answer with problem details and a <c>WWW-Authenticate</c> header.
/// </summary>
internal sealed class JwtAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TokenService tokens,
    ProblemWriter problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";

    private const int MaxTokenLength = 4096;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <token>'.");
        }
        var token = header["Bearer ".Length..].Trim();
        if (token.Length == 0 || token.Length > MaxTokenLength)
        {
            return AuthenticateResult.Fail("The bearer token is empty or too long.");
        }
        var check = await tokens.ValidateAsync(token);
        return check.Principal is { } principal
            ? AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName))
            : AuthenticateResult.Fail(check.Failure ?? "The token is not valid.");
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.Headers.WWWAuthenticate = failure is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{failure.Replace('"', '\'')}\"";
        await problems.WriteAsync(Context, new ApiProblem(StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required",
            failure ?? "This route needs a bearer token; POST /auth/token issues one."));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var caller = Caller.TryFrom(Context.User);
        return problems.WriteAsync(Context, new ApiProblem(StatusCodes.Status403Forbidden, "forbidden-role", "Forbidden",
            $"Role '{caller?.Role}' may not use this route."));
    }
}
