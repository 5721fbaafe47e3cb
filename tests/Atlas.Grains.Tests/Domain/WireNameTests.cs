using Atlas.Grains.Rides;

namespace Atlas.Grains.Tests.Domain;

public class WireNameTests
{
    [Theory]
    [InlineData(VehicleType.Economy, "economy")]
    [InlineData(VehicleType.Comfort, "comfort")]
    [InlineData(VehicleType.Xl, "xl")]
    [InlineData(VehicleType.Premium, "premium")]
    public void Vehicle_types_round_trip_through_their_wire_names(VehicleType type, string wire)
    {
        Assert.Equal(wire, type.ToWireName());
        Assert.Equal(type, VehicleTypes.Parse(wire));
        Assert.Equal(type, VehicleTypes.Parse(wire.ToUpperInvariant()));
        Assert.Equal(type, VehicleTypes.Parse($" {wire} "));
    }

    [Theory]
    [InlineData("suv")]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("Economy, Xl")]
    [InlineData(null)]
    public void Unknown_vehicle_types_are_refused_with_the_allowed_values(string? wire)
    {
        var error = Assert.Throws<UnknownVehicleTypeException>(() => VehicleTypes.Parse(wire));

        Assert.Equal(wire, error.Value);
        Assert.Contains("economy, comfort, xl, premium", error.Message, StringComparison.Ordinal);
        Assert.False(VehicleTypes.TryParse(wire, out _));
    }

    [Theory]
    [InlineData(RideStatus.Created, "CREATED")]
    [InlineData(RideStatus.Matched, "MATCHED")]
    [InlineData(RideStatus.Arrived, "ARRIVED")]
    [InlineData(RideStatus.Started, "STARTED")]
    [InlineData(RideStatus.Finished, "FINISHED")]
    [InlineData(RideStatus.Cancelled, "CANCELLED")]
    [InlineData(RideStatus.NoDriver, "NO_DRIVER")]
    public void Ride_statuses_round_trip_through_their_wire_names(RideStatus status, string wire)
    {
        Assert.Equal(wire, status.ToWireName());
        Assert.Equal(status, RideStatuses.Parse(wire));
        Assert.Equal(status, RideStatuses.Parse(wire.ToLowerInvariant()));
    }

    [Theory]
    [InlineData("NoDriver")]
    [InlineData("CANCELED")]
    [InlineData("6")]
    [InlineData(null)]
    public void Unknown_ride_statuses_are_refused(string? wire)
    {
        var error = Assert.Throws<UnknownRideStatusException>(() => RideStatuses.Parse(wire));

        Assert.Equal(wire, error.Value);
        Assert.Contains("NO_DRIVER", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DriverStatus.Offline, "offline")]
    [InlineData(DriverStatus.Available, "available")]
    [InlineData(DriverStatus.Offered, "offered")]
    [InlineData(DriverStatus.OnTrip, "on_trip")]
    public void Driver_statuses_round_trip_through_their_wire_names(DriverStatus status, string wire)
    {
        Assert.Equal(wire, status.ToWireName());
        Assert.Equal(status, DriverStatuses.Parse(wire));
        Assert.Equal(status, DriverStatuses.Parse(wire.ToUpperInvariant()));
    }

    [Theory]
    [InlineData("ontrip")]
    [InlineData("OnTrip")]
    [InlineData("busy")]
    public void Unknown_driver_statuses_are_refused(string wire)
    {
        var error = Assert.Throws<UnknownDriverStatusException>(() => DriverStatuses.Parse(wire));

        Assert.Equal(wire, error.Value);
        Assert.Contains("on_trip", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_enum_value_has_a_wire_name()
    {
        Assert.All(Enum.GetValues<VehicleType>(), t => Assert.False(string.IsNullOrEmpty(t.ToWireName())));
        Assert.All(Enum.GetValues<RideStatus>(), s => Assert.False(string.IsNullOrEmpty(s.ToWireName())));
        Assert.All(Enum.GetValues<DriverStatus>(), s => Assert.False(string.IsNullOrEmpty(s.ToWireName())));
    }
}
