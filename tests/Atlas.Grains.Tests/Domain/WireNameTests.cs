using Atlas.Grains.Markets;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Tests.Domain;

public class WireNameTests
{
    [Theory]
    [InlineData(PaymentMethod.Wallet, "wallet")]
    [InlineData(PaymentMethod.Cash, "cash")]
    public void Payment_methods_round_trip_through_their_wire_names(PaymentMethod method, string wire)
    {
        Assert.Equal(wire, method.ToWireName());
        Assert.True(PaymentMethods.TryParse($" {wire.ToUpperInvariant()} ", out var parsed));
        Assert.Equal(method, parsed);
        Assert.False(PaymentMethods.TryParse("0", out _));
    }

    [Theory]
    [InlineData(DispatchMode.Offer, "offer")]
    [InlineData(DispatchMode.Assign, "assign")]
    public void Dispatch_modes_round_trip_through_their_wire_names(DispatchMode mode, string wire)
    {
        Assert.Equal(wire, mode.ToWireName());
        Assert.True(DispatchModes.TryParse(wire, out var parsed));
        Assert.Equal(mode, parsed);
        Assert.False(DispatchModes.TryParse("Offer, Assign", out _));
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
        Assert.All(Enum.GetValues<RideStatus>(), s => Assert.False(string.IsNullOrEmpty(s.ToWireName())));
        Assert.All(Enum.GetValues<DriverStatus>(), s => Assert.False(string.IsNullOrEmpty(s.ToWireName())));
    }
}
