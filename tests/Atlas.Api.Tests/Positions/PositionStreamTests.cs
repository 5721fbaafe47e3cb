using Atlas.Api.Positions;
using Atlas.Api.Positions.Grpc;
using Atlas.Api.Tests.Infrastructure;
using Atlas.Grains.Geo;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Atlas.Api.Tests.Positions;

/// <summary>
/// Positions over one gRPC call (the test server speaks HTTP/2 to the gRPC client): the bearer token and the checks of
/// POST /driver/location, acknowledgements in batches, INVALID_ARGUMENT naming the field, the positions before it kept.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PositionStreamTests(ApiFactory api) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(api.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = api.Server.CreateHandler() });

    public void Dispose() => _channel.Dispose();

    private DriverPositions.DriverPositionsClient Client => new(_channel);

    private static Metadata Bearer(string token) => new() { { "Authorization", $"Bearer {token}" } };

    private static Position At(GeoPoint point, DateTimeOffset at, string userId = "") =>
        new() { UserId = userId, Latitude = point.Latitude, Longitude = point.Longitude, Timestamp = Timestamp.FromDateTimeOffset(at) };

    /// <summary>Sends the positions, ends the call's side, and reads every acknowledgement until the server ends it.</summary>
    private async Task<(List<PositionAck> Acks, RpcException? Error)> StreamAsync(string token, IEnumerable<Position> positions)
    {
        using var call = Client.StreamPositions(Bearer(token));
        var acks = new List<PositionAck>();
        var reading = Task.Run(async () =>
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync())
            {
                acks.Add(ack);
            }
        });
        try
        {
            foreach (var position in positions)
            {
                await call.RequestStream.WriteAsync(position);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call early; its status is read below.
        }
        catch (InvalidOperationException)
        {
            // Writing after the server completed the call.
        }
        try
        {
            await reading;
            return (acks, null);
        }
        catch (RpcException error)
        {
            return (acks, error);
        }
    }

    [Fact]
    public async Task Positions_on_one_call_are_acknowledged_in_batches_and_move_the_driver()
    {
        var driverId = Scenario.NewId("driver");
        var start = Scenario.RandomSpot();
        var now = DateTimeOffset.UtcNow.AddSeconds(-4);
        var positions = Enumerable.Range(0, 150).Select(i => At(Scenario.Offset(start, i * 10, 0), now.AddMilliseconds(i * 20))).ToArray();

        var (acks, error) = await StreamAsync(api.TokenFor(driverId, "driver"), positions);

        Assert.Null(error);
        Assert.Equal(150, acks[^1].Acknowledged);
        Assert.True(acks.Count is >= 2 and < 150, $"{acks.Count} acknowledgements for 150 positions");
        Assert.Equal(acks.Select(a => a.Acknowledged).Order(), acks.Select(a => a.Acknowledged));
        var profile = await api.Driver(driverId).GetOkAsync("/driver/profile");
        Assert.Equal(("available", positions[^1].Latitude), (profile.Str("status"), profile["location"]!["lat"]!.GetValue<double>()));
        await api.Scenario().WaitUntilSearchableAsync(driverId, Scenario.Offset(start, 1490, 0));
    }

    [Fact]
    public async Task A_malformed_position_ends_the_call_naming_the_field_and_keeps_the_positions_before_it()
    {
        var driverId = Scenario.NewId("driver");
        var spot = Scenario.RandomSpot();
        var now = DateTimeOffset.UtcNow.AddSeconds(-2);
        var good = Enumerable.Range(0, 3).Select(i => At(Scenario.Offset(spot, i * 50, 0), now.AddMilliseconds(i * 100))).ToList();
        var bad = At(spot, now.AddSeconds(1));
        bad.Latitude = 123;

        var (acks, error) = await StreamAsync(api.TokenFor(driverId, "driver"), [.. good, bad, At(spot, now.AddSeconds(2))]);

        Assert.NotNull(error);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("latitude ", error.Status.Detail);
        Assert.Equal("3", error.Trailers.GetValue(PositionStreamService.AcknowledgedTrailer));
        Assert.Equal(3, acks[^1].Acknowledged);
        var profile = await api.Driver(driverId).GetOkAsync("/driver/profile");
        Assert.Equal(good[^1].Latitude, profile["location"]!["lat"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("longitude")]
    [InlineData("timestamp")]
    [InlineData("user_id")]
    public async Task Each_field_is_checked_as_post_driver_location_checks_it(string field)
    {
        var driverId = Scenario.NewId("driver");
        var position = At(Scenario.RandomSpot(), DateTimeOffset.UtcNow);
        switch (field)
        {
            case "longitude": position.ClearLongitude(); break;
            case "timestamp": position.Timestamp = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(5)); break;
            default: position.UserId = "not an id!"; break;
        }

        var (_, error) = await StreamAsync(api.TokenFor(driverId, "driver"), [position]);

        Assert.Equal(StatusCode.InvalidArgument, error!.StatusCode);
        Assert.StartsWith($"{field} ", error.Status.Detail);
    }

    [Fact]
    public async Task Another_drivers_position_is_refused()
    {
        var (_, error) = await StreamAsync(api.TokenFor(Scenario.NewId("driver"), "driver"), [At(Scenario.RandomSpot(), DateTimeOffset.UtcNow, Scenario.NewId("driver"))]);

        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
    }

    [Fact]
    public async Task A_position_older_than_the_last_is_skipped_and_counted_as_the_call_goes_on()
    {
        var driverId = Scenario.NewId("driver");
        var spot = Scenario.RandomSpot();
        var now = DateTimeOffset.UtcNow;

        var (acks, error) = await StreamAsync(api.TokenFor(driverId, "driver"),
            [At(spot, now), At(Scenario.Offset(spot, 100, 0), now.AddSeconds(-10)), At(Scenario.Offset(spot, 200, 0), now.AddMilliseconds(1))]);

        Assert.Null(error);
        Assert.Equal((3, 1), (acks[^1].Acknowledged, acks[^1].Stale));
    }

    [Fact]
    public async Task A_call_without_a_drivers_token_is_refused()
    {
        using var anonymous = Client.StreamPositions();
        var none = await Assert.ThrowsAsync<RpcException>(() => anonymous.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);

        var (_, rider) = await StreamAsync(api.TokenFor(Scenario.NewId("rider"), "rider"), [At(Scenario.RandomSpot(), DateTimeOffset.UtcNow)]);
        Assert.Equal(StatusCode.PermissionDenied, rider!.StatusCode);
    }
}
