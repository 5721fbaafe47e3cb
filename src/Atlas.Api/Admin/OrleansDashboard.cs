using Atlas.Api.Auth;
using Orleans.Dashboard;

namespace Atlas.Api.Admin;

/// <summary>
/// The Orleans Dashboard (<c>Microsoft.Orleans.Dashboard</c>: silos, grains, calls, reminders, live) at
/// <c>/admin/orleans</c>, for admins only. Its page polls its data routes without an <c>Authorization</c> header, so a
/// browser opens it once as <c>/admin/orleans/?access_token=&lt;admin token&gt;</c>: the token is then kept in an HttpOnly
/// cookie valid only under <c>/admin/orleans</c> (see <see cref="JwtBearerSetup"/>).
/// </summary>
public static class OrleansDashboard
{
    public const string RoutePrefix = "/admin/orleans";

    /// <summary>The dashboard's options (<c>DashboardOptions</c>: <c>CounterUpdateIntervalMs</c>, <c>HistoryLength</c>, <c>HideTrace</c>).</summary>
    public const string SectionName = "Atlas:Dashboard";

    /// <summary>The cookie that carries an admin's token for the dashboard's own requests.</summary>
    public const string TokenCookie = "atlas_dashboard_token";

    /// <summary>The query parameter a browser passes the token in once.</summary>
    public const string TokenQueryParameter = "access_token";

    public static IEndpointRouteBuilder MapOrleansDashboardForAdmins(this IEndpointRouteBuilder routes)
    {
        routes.MapOrleansDashboard(RoutePrefix).RequireAuthorization(Policies.Admin).ExcludeFromDescription();
        return routes;
    }

    /// <summary>Whether a request is for the dashboard (its page, assets or data routes).</summary>
    public static bool IsDashboardRequest(HttpRequest request) => request.Path.StartsWithSegments(RoutePrefix);
}
