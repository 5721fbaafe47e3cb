using System.Diagnostics;
using Atlas.Api.Auth;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Geo;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Atlas.Api.Tests.Console;

/// <summary>
/// The dispatcher console in headless Chromium against a running API: signing in, the drivers that exist, a dot that
/// moves when its driver posts a position, a ride that appears and changes state, a timeline found from the keyboard, and
/// a rider's token refused. The ride test saves the screenshot the README shows.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleBrowserFixture fixture, ITestOutputHelper output)
{
    private IWebDriver Browser => fixture.Browser;

    private static GeoPoint District(double metersNorth, double metersEast) => Scenario.Offset(ConsoleBrowserFixture.Centre, metersNorth, metersEast);

    [Fact]
    public async Task Signed_in_as_a_dispatcher_the_map_shows_the_drivers_that_exist()
    {
        var district = District(-3_000, 3_000);
        var drivers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            drivers.Add((await fixture.DriverAtAsync(Scenario.Offset(district, i * 300, i * 200))).Id);
        }

        fixture.SignInAsDispatcher();

        var dots = ConsoleBrowserFixture.Until(() => drivers.All(fixture.Dots().ContainsKey) ? fixture.Dots() : null, "the drivers' dots");
        Assert.All(drivers, id => Assert.Equal("available", dots[id].Status));
        var listed = Browser.FindElement(By.Id("driver-list")).Text;
        Assert.All(drivers, id => Assert.Contains(id, listed));
        Assert.Contains("dispatcher-1 (dispatcher)", Browser.FindElement(By.Id("who")).Text);
    }

    [Fact]
    public async Task A_posted_position_moves_the_driver_dot()
    {
        var start = District(3_000, -3_000);
        var (driverId, driver) = await fixture.DriverAtAsync(start);
        fixture.SignInAsDispatcher();
        var before = ConsoleBrowserFixture.Until(() => fixture.Dots().GetValueOrDefault(driverId), "the driver's dot");

        var to = Scenario.Offset(start, 0, 600);
        var clock = Stopwatch.StartNew();
        await ConsoleBrowserFixture.MoveAsync(driver, driverId, to);
        var after = ConsoleBrowserFixture.Until(
            () => fixture.Dots().GetValueOrDefault(driverId) is { } dot && Math.Abs(dot.Long - to.Longitude) < 1e-9 ? dot : null, "the dot to move");
        clock.Stop();

        output.WriteLine($"The dot moved {clock.ElapsedMilliseconds} ms after the position was posted.");
        Assert.True(after.X > before.X, $"the dot went east on the page: x {before.X} -> {after.X}");
        // The issue asks for a second; a loaded two-core test machine gets some slack.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the dot moved {clock.ElapsedMilliseconds} ms after the position was posted");
    }

    [Fact]
    public async Task A_ride_appears_changes_state_and_its_timeline_opens_from_the_search()
    {
        // A neighbourhood around the centre, its drivers at least a kilometre from the first ride's pickup.
        var backdrop = new List<(string Id, ApiClient Client, GeoPoint At)>();
        for (var i = 0; i < 8; i++)
        {
            var angle = i * Math.PI / 4;
            var at = District(1_400 * Math.Sin(angle) + 300 * (i % 3), 1_800 * Math.Cos(angle) - 200 * (i % 2));
            var (id, client) = await fixture.DriverAtAsync(at);
            backdrop.Add((id, client, at));
        }
        var pickup = District(0, 0);
        var dropoff = Scenario.Offset(pickup, 900, 1_600);
        var (driverId, driver) = await fixture.DriverAtAsync(Scenario.Offset(pickup, 30, 0));
        await fixture.Api.Scenario().WaitUntilSearchableAsync(driverId, pickup);
        fixture.SignInAsDispatcher();

        var (riderId, rider) = await fixture.Api.Scenario().RiderWithFundsAsync();
        var orderId = await Scenario.OrderAsync(rider, riderId, pickup, dropoff);
        await rider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(riderId, pickup, dropoff, orderId));

        ConsoleBrowserFixture.Until(() => fixture.Rides().GetValueOrDefault(orderId) == "CREATED" ? "" : null, "the ride on the map");
        ConsoleBrowserFixture.Until(() => fixture.Dots().GetValueOrDefault(driverId)?.Status == "offered" ? "" : null, "the driver offered the ride");

        await driver.PostOkAsync("/driver/offer/accept", new { order_id = orderId });
        ConsoleBrowserFixture.Until(() => fixture.Rides().GetValueOrDefault(orderId) == "MATCHED" ? "" : null, "the ride matched");
        ConsoleBrowserFixture.Until(() => fixture.Dots().GetValueOrDefault(driverId)?.Status == "on_trip" ? "" : null, "the driver on the trip");
        await driver.PutOkAsync("/driver/order/status", new { order_id = orderId, status = "ARRIVED" });
        ConsoleBrowserFixture.Until(() => fixture.Rides().GetValueOrDefault(orderId) == "ARRIVED" ? "" : null, "the driver arrived");
        Assert.Contains(orderId, Browser.FindElement(By.Id("ride-list")).Text);

        // A second ride, offered to the nearest of the neighbourhood, for the picture.
        var (otherRiderId, otherRider) = await fixture.Api.Scenario().RiderWithFundsAsync();
        var otherPickup = Scenario.Offset(backdrop[2].At, 40, 0);
        var otherOrder = await Scenario.OrderAsync(otherRider, otherRiderId, otherPickup, Scenario.Offset(otherPickup, -1_500, -1_200));
        await otherRider.PostOkAsync("/customer/ride/request", Scenario.RideRequestBody(otherRiderId, otherPickup, Scenario.Offset(otherPickup, -1_500, -1_200), otherOrder));
        ConsoleBrowserFixture.Until(() => fixture.Rides().ContainsKey(otherOrder) ? "" : null, "the second ride on the map");

        // From the keyboard: the search field, the ride's id, Enter.
        var search = Browser.FindElement(By.Id("search-input"));
        search.SendKeys(orderId + Keys.Enter);
        var details = ConsoleBrowserFixture.Until(
            () => Browser.FindElement(By.Id("details")) is { Displayed: true } panel && panel.Text.Contains($"Ride {orderId}") ? panel : null, "the ride's timeline");
        Assert.Contains("matched", details.Text);
        Assert.Contains("arrived", details.Text);
        Assert.Equal("details-title", Browser.SwitchTo().ActiveElement().GetAttribute("id")); // focus moved to what opened

        var path = fixture.SaveScreenshot("console.png");
        output.WriteLine($"Screenshot: {path}");
        Assert.True(new FileInfo(path).Length > 10_000, "a screenshot of the console");
    }

    [Fact]
    public async Task A_riders_token_is_refused_and_nothing_is_shown()
    {
        await fixture.DriverAtAsync(District(-2_000, -2_500));

        fixture.SignIn(fixture.Api.TokenFor(Scenario.NewId("rider"), Roles.Rider));

        var error = ConsoleBrowserFixture.Until(
            () => Browser.FindElement(By.Id("sign-in-error")).Text is { Length: > 0 } text ? text : null, "the refusal");
        Assert.Contains("not for an admin or a dispatcher", error);
        Assert.False(Browser.FindElement(By.Id("console")).Displayed);
        Assert.Empty(fixture.Dots());
        Assert.Empty(Browser.FindElements(By.CssSelector("#driver-list li")));
    }

    [Fact]
    public async Task Without_a_token_the_page_shows_only_the_sign_in()
    {
        await fixture.DriverAtAsync(District(2_000, 2_500));

        Browser.Navigate().GoToUrl(new Uri(fixture.BaseAddress, "/console"));
        ((IJavaScriptExecutor)Browser).ExecuteScript("sessionStorage.clear();");
        Browser.Navigate().Refresh();

        ConsoleBrowserFixture.Until(() => Browser.FindElement(By.Id("token-input")) is { Displayed: true } e ? e : null, "the sign-in form");
        Assert.False(Browser.FindElement(By.Id("console")).Displayed);
        Assert.Empty(fixture.Dots());
    }
}
