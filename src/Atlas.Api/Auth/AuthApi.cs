using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Atlas.Api.Errors;
using Atlas.Api.Json;
using Atlas.Api.RateLimiting;
using Atlas.Api.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Auth;

/// <summary><c>POST /auth/token</c>: tokens for riders, drivers and admins.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth").WithTags("Auth").AllowAnonymous().RequireRateLimiting(RateLimitPolicies.TokenIssuing);
        group.MapPost("/token", IssueToken)
            .WithName("IssueToken")
            .WithSummary("Issue a bearer token")
            .WithDescription("Without Auth:SigningKey and Auth:Authority (development) any user and role get a token. Otherwise the request must carry the role's client secret (Auth:ClientSecrets:{role}).")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return routes;
    }

    internal static Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult> IssueToken(
        TokenRequest request, TokenService tokens, IOptions<AuthOptions> options)
    {
        var errors = new RequestErrors();
        var userId = errors.Id("user_id", request.UserId);
        if (!Roles.IsKnown(request.Role))
        {
            errors.Add("role", $"must be one of {string.Join(", ", Roles.All)}.");
        }
        if (errors.Any)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        if (!tokens.IsDevelopmentMode && !SecretMatches(options.Value, request.Role!, request.ClientSecret))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, type: ApiProblem.TypePrefix + "invalid-client",
                title: "Invalid client credentials", detail: $"The client secret for role '{request.Role}' is missing or wrong.");
        }
        var issued = tokens.Issue(userId, request.Role!);
        return TypedResults.Ok(new TokenResponse(issued.AccessToken, "Bearer",
            (long)options.Value.TokenLifetime.TotalSeconds, issued.ExpiresAt, userId, request.Role!));
    }

    /// <summary>Constant-time comparison, so response times do not reveal how much of a guess was right.</summary>
    private static bool SecretMatches(AuthOptions options, string role, string? presented)
    {
        if (presented is null || !options.ClientSecrets.TryGetValue(role, out var expected) || string.IsNullOrEmpty(expected))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }
}

/// <summary>Asks for a token for a user in a role; <c>client_secret</c> is needed when a signing key is configured.</summary>
public sealed record TokenRequest(
    [property: JsonConverter(typeof(FlexibleIdConverter))] string? UserId,
    string? Role,
    string? ClientSecret = null);

/// <summary>An issued token (OAuth 2 field names).</summary>
public sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, DateTimeOffset ExpiresAt, string UserId, string Role);
