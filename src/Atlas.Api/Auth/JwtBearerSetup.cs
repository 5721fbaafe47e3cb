using System.Security.Claims;
using Atlas.Api.Admin;
using Atlas.Api.Errors;
using Atlas.Api.Validation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Auth;

/// <summary>
/// Configures ASP.NET Core's JwtBearer handler from <see cref="AuthOptions"/>: the API's own tokens (issuer
/// <see cref="AuthOptions.Issuer"/>, signed with <see cref="TokenService.SigningKey"/>) and, with
/// <see cref="AuthOptions.Authority"/>, an identity provider's (issuer and keys from its OIDC discovery document); both
/// for <see cref="AuthOptions.Audience"/>. Refusals answer with problem details: 401 with a <c>WWW-Authenticate</c>
/// challenge that says why, 403 naming the role.
/// </summary>
internal sealed class JwtBearerSetup(IOptions<AuthOptions> auth, TokenService tokens, ProblemWriter problems, TimeProvider time)
    : IConfigureNamedOptions<JwtBearerOptions>
{
    public const string SchemeName = JwtBearerDefaults.AuthenticationScheme;

    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name == SchemeName)
        {
            Configure(options);
        }
    }

    public void Configure(JwtBearerOptions options)
    {
        var settings = auth.Value;
        var external = !string.IsNullOrEmpty(settings.Authority);
        // Claims keep their JWT names (sub, role), as the API issues them and reads them.
        options.MapInboundClaims = false;
        // The library's handler, remembering the tokens it found valid until they expire (see RememberingTokenHandler).
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(new RememberingTokenHandler(time) { MapInboundClaims = false });
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = [tokens.SigningKey],
            // Our own tokens are HS256 only; an identity provider's are whatever its keys say (RS256, ES256, …).
            ValidAlgorithms = external ? null : [SecurityAlgorithms.HmacSha256],
            ClockSkew = settings.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            NameClaimType = Caller.UserIdClaim,
            RoleClaimType = settings.RoleClaim,
            // Expiry on the host's clock, the one tokens are issued by (tests move it).
            LifetimeValidator = ValidateLifetime,
        };
        if (external)
        {
            // The handler adds the discovered issuer and keys to those above, so the API's own tokens stay valid.
            options.Authority = settings.Authority;
            options.RequireHttpsMetadata = settings.RequireHttpsMetadata;
        }
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = OnMessageReceived,
            OnTokenValidated = context => OnTokenValidated(context, settings),
            OnChallenge = OnChallenge,
            OnForbidden = OnForbidden,
        };
    }

    /// <summary>
    /// The Orleans Dashboard's page cannot send an <c>Authorization</c> header: under its path only, a token may come
    /// once in the query (<c>?access_token=</c>) and then from the cookie that remembers it.
    /// </summary>
    private static Task OnMessageReceived(MessageReceivedContext context)
    {
        var request = context.Request;
        if (!OrleansDashboard.IsDashboardRequest(request) || request.Headers.Authorization.Count > 0)
        {
            return Task.CompletedTask;
        }
        if (request.Query[OrleansDashboard.TokenQueryParameter] is [{ Length: > 0 } fromQuery])
        {
            context.Token = fromQuery;
            context.HttpContext.Items[DashboardTokenFromQuery] = fromQuery;
        }
        else if (request.Cookies[OrleansDashboard.TokenCookie] is { Length: > 0 } fromCookie)
        {
            context.Token = fromCookie;
        }
        return Task.CompletedTask;
    }

    private static readonly object DashboardTokenFromQuery = new();

    /// <summary>The library's lifetime rules (expiry required, skew tolerated both ways) on the injected clock.</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is not { } end)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry.");
        }
        if (notBefore is { } start && now + parameters.ClockSkew < start)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = start };
        }
        if (now - parameters.ClockSkew > end)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = end };
        }
        return true;
    }

    /// <summary>A valid token must name a user and one of the API's roles; the principal then carries its <see cref="Caller"/>.</summary>
    private static Task OnTokenValidated(TokenValidatedContext context, AuthOptions settings)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity)
        {
            context.Fail("The token does not name a valid user and role.");
            return Task.CompletedTask;
        }
        var userId = identity.FindFirst(Caller.UserIdClaim)?.Value;
        var role = identity.FindAll(settings.RoleClaim).Select(c => c.Value).FirstOrDefault(Roles.IsKnown);
        if (role is null || !RequestErrors.IsValidId(userId))
        {
            context.Fail("The token does not name a valid user and role.");
            return Task.CompletedTask;
        }
        context.Principal = new CallerPrincipal(identity, new Caller(userId!, role));
        // Items only under the dashboard's path: touching them elsewhere would allocate them on every request.
        if (role == Roles.Admin && OrleansDashboard.IsDashboardRequest(context.Request) && context.HttpContext.Items[DashboardTokenFromQuery] is string token)
        {
            // Remembered for the dashboard's own requests only: HttpOnly, this path, same site, as long as the token lives.
            context.Response.Cookies.Append(OrleansDashboard.TokenCookie, token, new CookieOptions
            {
                HttpOnly = true,
                Secure = context.Request.IsHttps,
                SameSite = SameSiteMode.Strict,
                Path = OrleansDashboard.RoutePrefix,
                Expires = context.SecurityToken.ValidTo == DateTime.MinValue ? null : new DateTimeOffset(context.SecurityToken.ValidTo, TimeSpan.Zero),
            });
        }
        return Task.CompletedTask;
    }

    private async Task OnChallenge(JwtBearerChallengeContext context)
    {
        // Answered here, with problem details, instead of the handler's empty 401.
        context.HandleResponse();
        var why = context.AuthenticateFailure is { } failure ? Describe(failure) : null;
        context.Response.Headers.WWWAuthenticate = why is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{why.Replace('"', '\'')}\"";
        await problems.WriteAsync(context.HttpContext, new ApiProblem(StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required",
            why ?? "This route needs a bearer token; POST /auth/token issues one."));
    }

    private Task OnForbidden(ForbiddenContext context)
    {
        var caller = Caller.TryFrom(context.HttpContext.User);
        return problems.WriteAsync(context.HttpContext, new ApiProblem(StatusCodes.Status403Forbidden, "forbidden-role", "Forbidden",
            $"Role '{caller?.Role}' may not use this route."));
    }

    /// <summary>Why a token was refused, in words a client developer can act on.</summary>
    internal static string Describe(Exception failure) => failure switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenInvalidLifetimeException => "The token has expired or is not valid yet.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
        SecurityTokenInvalidIssuerException => "The token was issued by someone else.",
        SecurityTokenInvalidAudienceException => "The token is meant for another audience.",
        SecurityTokenInvalidAlgorithmException => "The token is signed with an algorithm that is not accepted.",
        SecurityTokenMalformedException or ArgumentException => "The token is not a valid JWT.",
        SecurityTokenException => "The token is not valid.",
        // Refused by OnTokenValidated, in its own words.
        AuthenticationFailureException => failure.Message,
        // The identity provider's discovery document could not be read: the token itself may be fine.
        InvalidOperationException when failure.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase) =>
            "The identity provider's signing keys could not be read; try again later.",
        _ => "The token could not be validated.",
    };
}
