using System.Security.Claims;

namespace Atlas.Api.Auth;

/// <summary>Who is calling, from the validated token: the user id (<c>sub</c>) and the role.</summary>
public sealed record Caller(string UserId, string Role)
{
    /// <summary>The key a caller's rate limits and idempotency records are kept under.</summary>
    public string Key { get; } = $"{Role}:{UserId}";

    public const string UserIdClaim = "sub";
    public const string RoleClaim = "role";

    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>Whether the caller may act as <paramref name="userId"/>: only as itself.</summary>
    public bool Is(string userId) => string.Equals(UserId, userId, StringComparison.Ordinal);

    /// <summary>The caller of an authenticated request; throws if the route was not protected, which is a bug.</summary>
    public static Caller From(ClaimsPrincipal user) =>
        TryFrom(user) ?? throw new InvalidOperationException("The route reads the caller but does not require authentication.");

    public static Caller? TryFrom(ClaimsPrincipal? user) => user switch
    {
        CallerPrincipal principal => principal.Caller, // read once when its token was validated
        not null when user.FindFirst(UserIdClaim)?.Value is { } id && user.FindFirst(RoleClaim)?.Value is { } role => new Caller(id, role),
        _ => null,
    };
}

/// <summary>A principal that carries its <see cref="Caller"/>, so middleware and endpoints do not search the claims again.</summary>
public sealed class CallerPrincipal(ClaimsIdentity identity, Caller caller) : ClaimsPrincipal(identity)
{
    public Caller Caller { get; } = caller;
}

/// <summary>Reads the <see cref="Caller"/> of a request.</summary>
public static class CallerExtensions
{
    public static Caller Caller(this ClaimsPrincipal user) => Auth.Caller.From(user);
}
