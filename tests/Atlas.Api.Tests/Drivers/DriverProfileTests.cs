using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Drivers;

[Collection(ApiCollection.Name)]
public sealed class DriverProfileTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task Registering_a_profile_stores_name_vehicle_type_and_city_offline()
    {
        var driver = api.Driver(Scenario.NewId("driver"));

        var profile = await driver.PutOkAsync("/driver/profile", new { name = "Ada", vehicle_type = "comfort", city = "default" });

        Assert.Equal("Ada", profile.Str("name"));
        Assert.Equal("comfort", profile.Str("vehicle_type"));
        Assert.Equal("default", profile.Str("city"));
        Assert.Equal("offline", profile.Str("status"));
    }

    [Fact]
    public async Task A_profile_without_a_vehicle_type_is_a_400_naming_it()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).PutAsync("/driver/profile", new { name = "Ada" });

        await response.ValidationProblemAsync("vehicle_type");
    }

    [Fact]
    public async Task Going_online_and_offline_changes_the_status()
    {
        var driver = api.Driver(Scenario.NewId("driver"));
        await driver.PutOkAsync("/driver/profile", new { name = "Ada", vehicle_type = "economy" });

        Assert.Equal("available", (await driver.PostOkAsync("/driver/online")).Str("status"));
        Assert.Equal("offline", (await driver.PostOkAsync("/driver/offline")).Str("status"));
    }

    [Fact]
    public async Task Going_online_before_registering_is_a_404()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).PostAsync("/driver/online");

        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("urn:atlas:problem:unknown-driver", problem.Str("type"));
    }

    [Fact]
    public async Task Reading_the_profile_before_registering_is_a_404()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).GetAsync("/driver/profile");

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Changing_the_vehicle_type_while_offered_a_ride_is_a_409()
    {
        var ride = await _scenario.OfferedRideAsync();

        using var response = await ride.Driver.PutAsync("/driver/profile", new { name = "Ada", vehicle_type = "premium" });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:illegal-driver-transition", problem.Str("type"));
    }

    [Fact]
    public async Task Going_offline_before_registering_is_a_404()
    {
        using var response = await api.Driver(Scenario.NewId("driver")).PostAsync("/driver/offline");

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }
}
