using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Admin;

/// <summary>The Orleans Dashboard at <c>/admin/orleans</c>: its page and data routes, for admins only.</summary>
[Collection(ApiCollection.Name)]
public sealed class OrleansDashboardTests(ApiFactory api)
{
    [Fact]
    public async Task An_admin_gets_the_dashboard_page_and_its_live_cluster_data()
    {
        var admin = api.Admin();

        using var page = await admin.GetAsync("/admin/orleans/");
        var html = await page.Content.ReadAsStringAsync();
        // The dashboard gathers its counters every second: the first answer of a fresh host may predate them.
        var counters = await Scenario.EventuallyAsync(async () =>
        {
            var answer = await admin.GetOkAsync("/admin/orleans/DashboardCounters");
            return answer["totalActiveHostCount"]!.GetValue<int>() > 0 ? answer : null;
        }, "the dashboard's first counters");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Orleans Dashboard</title>", html);
        // The one embedded silo, active, with the grains the tests activated.
        Assert.Equal(1, counters["totalActiveHostCount"]!.GetValue<int>());
        Assert.True(counters["totalActivationCount"]!.GetValue<int>() > 0);
    }

    [Theory]
    [InlineData("rider", "/admin/orleans/")]
    [InlineData("driver", "/admin/orleans/")]
    [InlineData("rider", "/admin/orleans/DashboardCounters")]
    [InlineData("driver", "/admin/orleans/ClusterStats")]
    public async Task Riders_and_drivers_get_a_403(string role, string path)
    {
        using var response = await api.Client(Scenario.NewId(role), role).GetAsync(path);

        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("urn:atlas:problem:forbidden-role", problem.Str("type"));
    }

    [Theory]
    [InlineData("/admin/orleans/")]
    [InlineData("/admin/orleans/index.min.js")]
    [InlineData("/admin/orleans/DashboardCounters")]
    public async Task Without_a_token_it_is_a_401(string path)
    {
        using var response = await api.Client().GetAsync(path);

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_browser_opens_it_with_the_token_in_the_query_once_and_its_page_then_calls_with_the_cookie()
    {
        var token = api.TokenFor("admin-browser", "admin");
        var browser = api.CreateClient(new() { HandleCookies = false });

        using var page = await browser.GetAsync("/admin/orleans/?access_token=" + token);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("atlas_dashboard_token=" + token + ";", cookie);
        Assert.Contains("path=/admin/orleans", cookie);
        Assert.Contains("httponly", cookie);
        Assert.Contains("samesite=strict", cookie);
        using var data = new HttpRequestMessage(HttpMethod.Get, "/admin/orleans/DashboardCounters");
        data.Headers.Add("Cookie", "atlas_dashboard_token=" + token);
        using var counters = await browser.SendAsync(data);
        Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_cookie_and_query_token_count_nowhere_else()
    {
        var token = api.TokenFor("admin-elsewhere", "admin");
        var browser = api.CreateClient(new() { HandleCookies = false });

        using var query = await browser.GetAsync("/admin/wallets/platform?access_token=" + token);
        using var cookie = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        cookie.Headers.Add("Cookie", "atlas_dashboard_token=" + token);
        using var withCookie = await browser.SendAsync(cookie);

        await query.ProblemAsync(HttpStatusCode.Unauthorized);
        await withCookie.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_riders_token_in_the_query_gets_a_403_and_no_cookie()
    {
        var browser = api.CreateClient(new() { HandleCookies = false });

        using var response = await browser.GetAsync("/admin/orleans/?access_token=" + api.TokenFor("rider-browser", "rider"));

        await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }
}
