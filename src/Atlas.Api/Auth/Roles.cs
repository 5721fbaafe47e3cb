using Microsoft.AspNetCore.Authorization;

namespace Atlas.Api.Auth;

/// <summary>The roles a token can carry, and the authorization policies built on them.</summary>
public static class Roles
{
    public const string Rider = "rider";
    public const string Driver = "driver";
    public const string Admin = "admin";

    /// <summary>Watches the city in the dispatcher console (<c>/console</c>); nothing else.</summary>
    public const string Dispatcher = "dispatcher";

    public static IReadOnlyList<string> All { get; } = [Rider, Driver, Admin, Dispatcher];

    public static bool IsKnown(string? role) => role is Rider or Driver or Admin or Dispatcher;
}

/// <summary>Names of the authorization policies routes declare.</summary>
public static class Policies
{
    public const string Rider = "rider";
    public const string Driver = "driver";
    public const string Admin = "admin";

    /// <summary>Riders and drivers: those who have a wallet.</summary>
    public const string WalletOwner = "wallet-owner";

    /// <summary>Any authenticated role; the endpoint checks what the caller may see.</summary>
    public const string AnyRole = "any-role";

    /// <summary>The dispatcher console's data: admins and dispatchers.</summary>
    public const string Console = "console";

    internal static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Rider, p => p.RequireAuthenticatedUser().RequireRole(Roles.Rider));
        options.AddPolicy(Driver, p => p.RequireAuthenticatedUser().RequireRole(Roles.Driver));
        options.AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        options.AddPolicy(WalletOwner, p => p.RequireAuthenticatedUser().RequireRole(Roles.Rider, Roles.Driver));
        options.AddPolicy(AnyRole, p => p.RequireAuthenticatedUser().RequireRole(Roles.All));
        options.AddPolicy(Console, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin, Roles.Dispatcher));
        // Anything not marked otherwise needs a token: a route added without thought is closed, not open.
        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
    }
}
