using Atlas.Grains.Rides;

namespace Atlas.Grains.Tests.Domain;

public class DriverTransitionsTests
{
    private static readonly HashSet<(DriverStatus From, DriverStatus To)> Expected =
    [
        (DriverStatus.Offline, DriverStatus.Available),
        (DriverStatus.Available, DriverStatus.Offline),
        (DriverStatus.Available, DriverStatus.Offered),
        (DriverStatus.Offered, DriverStatus.Available),
        (DriverStatus.Offered, DriverStatus.OnTrip),
        (DriverStatus.Available, DriverStatus.OnTrip), // assign dispatch
        (DriverStatus.OnTrip, DriverStatus.Available),
    ];

    public static TheoryData<DriverStatus, DriverStatus> AllCombinations()
    {
        var data = new TheoryData<DriverStatus, DriverStatus>();
        foreach (var from in Enum.GetValues<DriverStatus>())
        {
            foreach (var to in Enum.GetValues<DriverStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void Every_driver_move_is_allowed_exactly_when_the_table_lists_it(DriverStatus from, DriverStatus to)
    {
        if (Expected.Contains((from, to)))
        {
            Assert.True(DriverTransitions.IsAllowed(from, to));
            DriverTransitions.Check(from, to);
            return;
        }

        Assert.False(DriverTransitions.IsAllowed(from, to));
        var error = Assert.Throws<IllegalDriverTransitionException>(() => DriverTransitions.Check(from, to));
        Assert.Equal(from, error.From);
        Assert.Equal(to, error.To);
        Assert.Contains(from.ToWireName(), error.Message, StringComparison.Ordinal);
        Assert.Contains(to.ToWireName(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_published_table_is_exactly_the_expected_one()
    {
        Assert.True(Expected.SetEquals(DriverTransitions.Allowed.Select(t => (t.From, t.To))));
    }

    [Fact]
    public void A_driver_on_a_trip_cannot_go_offline()
    {
        var error = Assert.Throws<IllegalDriverTransitionException>(
            () => DriverTransitions.Check(DriverStatus.OnTrip, DriverStatus.Offline));

        Assert.Equal("A driver may not move from on_trip to offline.", error.Message);
    }
}
