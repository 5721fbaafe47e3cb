using System.Security.Claims;

namespace Atlas.Api.Auth;

/// <summary>Who is calling, from the validated token: the user id (<c>sub</c>) and the role.</summary>
public sealed record Caller(string UserId, string Role)
{
    public const string UserIdClaim = "sub";
    public const string RoleClaim = "role";

    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>Whether the caller may act as <paramref name="userId"/>: only as itself.</summary>
    public bool Is(string userId) => string.Equals(UserId, userId, StringComparison.Ordinal);

    /// <summary>The caller of an authenticated request; throws if the route was not protected, which is a bug.</summary>
    public static Caller From(ClaimsPrincipal user) =>
        TryFrom(user) ?? throw new InvalidOperationException("The route reads the caller but does not require authentication.");

    public static Caller? TryFrom(ClaimsPrincipal? user) =>
        user?.FindFirst(UserIdClaim)?.Value is { } id && user.FindFirst(RoleClaim)?.Value is { } role ? new Caller(id, role) : null;

    /// <summary>The key a caller's rate limits and idempotency records are kept under.</summary>
    public string Key => $"{Role}:{UserId}";
}

/// <summary>Reads the <see cref="Caller"/> of a request.</summary>
public static class CallerExtensions
{
    public static Caller Caller(this ClaimsPrincipal user) => Auth.Caller.From(user);
}
