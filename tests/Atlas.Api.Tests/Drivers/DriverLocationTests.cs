using System.Net;
using Atlas.Api.Tests.Infrastructure;

namespace Atlas.Api.Tests.Drivers;

[Collection(ApiCollection.Name)]
public sealed class DriverLocationTests(ApiFactory api)
{
    private readonly Scenario _scenario = api.Scenario();

    [Fact]
    public async Task A_location_update_answers_success_true()
    {
        var id = Scenario.NewId("driver");
        var spot = Scenario.RandomSpot();

        var answer = await api.Driver(id).PostOkAsync("/driver/location",
            new { user_id = id, latitude = spot.Latitude, longitude = spot.Longitude, timestamp = Scenario.NowMillis() });

        Assert.True(answer["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_first_location_of_an_unregistered_driver_registers_them_as_economy_and_online()
    {
        var id = Scenario.NewId("driver");
        var spot = Scenario.RandomSpot();
        var driver = api.Driver(id);

        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = spot.Latitude, longitude = spot.Longitude, timestamp = Scenario.NowMillis() });

        var profile = await driver.GetOkAsync("/driver/profile");
        Assert.Equal(id, profile.Str("name"));
        Assert.Equal("economy", profile.Str("vehicle_type"));
        Assert.Equal("available", profile.Str("status"));
        Assert.Equal(spot.Latitude, profile["location"]!["lat"]!.GetValue<double>(), 9);
        await _scenario.WaitUntilSearchableAsync(id, spot);
    }

    [Fact]
    public async Task A_location_of_a_driver_who_went_offline_keeps_them_offline()
    {
        var spot = Scenario.RandomSpot();
        var (id, driver) = await _scenario.OnlineDriverAsync(spot);
        await driver.PostOkAsync("/driver/offline");

        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = spot.Latitude, longitude = spot.Longitude, timestamp = Scenario.NowMillis() });

        Assert.Equal("offline", (await driver.GetOkAsync("/driver/profile")).Str("status"));
    }

    [Fact]
    public async Task A_timestamp_in_unix_seconds_is_accepted()
    {
        var id = Scenario.NewId("driver");
        var driver = api.Driver(id);
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = 10.0, longitude = 10.0, timestamp = seconds });

        var profile = await driver.GetOkAsync("/driver/profile");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(seconds), DateTimeOffset.Parse(profile.Str("location_at")));
    }

    [Fact]
    public async Task A_timestamp_as_an_rfc3339_string_is_accepted()
    {
        var id = Scenario.NewId("driver");
        var driver = api.Driver(id);
        var at = DateTimeOffset.UtcNow.AddSeconds(-3);

        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = 10.0, longitude = 10.0, timestamp = at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'") });

        var profile = await driver.GetOkAsync("/driver/profile");
        Assert.Equal(at.ToUnixTimeMilliseconds(), DateTimeOffset.Parse(profile.Str("location_at")).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_location_without_a_timestamp_is_stamped_by_the_server()
    {
        var id = Scenario.NewId("driver");
        var driver = api.Driver(id);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = 10.0, longitude = 10.0 });

        Assert.True(DateTimeOffset.Parse((await driver.GetOkAsync("/driver/profile")).Str("location_at")) >= before);
    }

    [Fact]
    public async Task A_timestamp_without_an_offset_is_a_400_naming_timestamp()
    {
        var id = Scenario.NewId("driver");

        using var response = await api.Driver(id).PostAsync("/driver/location", new { user_id = id, latitude = 10.0, longitude = 10.0, timestamp = "2026-11-22T10:00:00" });

        await response.ValidationProblemAsync("timestamp");
    }

    [Fact]
    public async Task A_timestamp_in_the_future_is_a_400_naming_timestamp()
    {
        var id = Scenario.NewId("driver");

        using var response = await api.Driver(id).PostAsync("/driver/location",
            new { user_id = id, latitude = 10.0, longitude = 10.0, timestamp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds() });

        await response.ValidationProblemAsync("timestamp");
    }

    [Fact]
    public async Task A_location_older_than_the_last_accepted_one_is_a_409()
    {
        var id = Scenario.NewId("driver");
        var driver = api.Driver(id);
        var now = Scenario.NowMillis();
        await driver.PostOkAsync("/driver/location", new { user_id = id, latitude = 10.0, longitude = 10.0, timestamp = now });

        using var response = await driver.PostAsync("/driver/location", new { user_id = id, latitude = 10.001, longitude = 10.0, timestamp = now - 5000 });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("urn:atlas:problem:stale-location", problem.Str("type"));
    }

    [Fact]
    public async Task A_latitude_given_as_a_string_is_a_400_naming_latitude()
    {
        var id = Scenario.NewId("driver");

        using var response = await api.Driver(id).PostAsync("/driver/location", $$"""{"user_id":"{{id}}","latitude":"48.1","longitude":2.0}""");

        await response.ValidationProblemAsync("latitude");
    }

    [Fact]
    public async Task A_missing_longitude_is_a_400_naming_longitude()
    {
        var id = Scenario.NewId("driver");

        using var response = await api.Driver(id).PostAsync("/driver/location", new { user_id = id, latitude = 10.0 });

        await response.ValidationProblemAsync("longitude");
    }
}
