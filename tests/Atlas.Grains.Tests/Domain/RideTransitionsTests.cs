using Atlas.Grains.Rides;

namespace Atlas.Grains.Tests.Domain;

public class RideTransitionsTests
{
    // Written out independently of the production table, from the product rules, so a slip in either shows up.
    private static readonly HashSet<(RideStatus From, RideStatus To, RideActor Actor)> Expected =
    [
        (RideStatus.Created, RideStatus.Matched, RideActor.System),
        (RideStatus.Created, RideStatus.NoDriver, RideActor.System),
        (RideStatus.Created, RideStatus.Cancelled, RideActor.System),
        (RideStatus.Matched, RideStatus.Cancelled, RideActor.System),
        (RideStatus.Arrived, RideStatus.Cancelled, RideActor.System),
        (RideStatus.Matched, RideStatus.Arrived, RideActor.Driver),
        (RideStatus.Arrived, RideStatus.Started, RideActor.Driver),
        (RideStatus.Matched, RideStatus.Started, RideActor.Driver), // the existing driver app skips ARRIVED
        (RideStatus.Started, RideStatus.Finished, RideActor.Driver),
        (RideStatus.Matched, RideStatus.Cancelled, RideActor.Driver),
        (RideStatus.Arrived, RideStatus.Cancelled, RideActor.Driver),
        (RideStatus.Created, RideStatus.Cancelled, RideActor.Rider),
        (RideStatus.Matched, RideStatus.Cancelled, RideActor.Rider),
        (RideStatus.Arrived, RideStatus.Cancelled, RideActor.Rider),
    ];

    public static TheoryData<RideStatus, RideStatus, RideActor> AllCombinations()
    {
        var data = new TheoryData<RideStatus, RideStatus, RideActor>();
        foreach (var from in Enum.GetValues<RideStatus>())
        {
            foreach (var to in Enum.GetValues<RideStatus>())
            {
                foreach (var actor in Enum.GetValues<RideActor>())
                {
                    data.Add(from, to, actor);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void Every_move_is_allowed_exactly_when_the_table_lists_it_for_that_actor(RideStatus from, RideStatus to, RideActor actor)
    {
        if (Expected.Contains((from, to, actor)))
        {
            Assert.True(RideTransitions.IsAllowed(from, to, actor));
            RideTransitions.Check(from, to, actor);
            return;
        }

        Assert.False(RideTransitions.IsAllowed(from, to, actor));
        var error = Assert.Throws<IllegalRideTransitionException>(() => RideTransitions.Check(from, to, actor));
        Assert.Equal(from, error.From);
        Assert.Equal(to, error.To);
        Assert.Equal(actor, error.Actor);
        Assert.Contains(from.ToWireName(), error.Message, StringComparison.Ordinal);
        Assert.Contains(to.ToWireName(), error.Message, StringComparison.Ordinal);
        Assert.Contains(actor.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_published_table_is_exactly_the_expected_one()
    {
        var published = RideTransitions.Allowed.Select(t => (t.From, t.To, t.Actor)).ToHashSet();

        Assert.True(Expected.SetEquals(published));
    }

    [Theory]
    [InlineData(RideStatus.Finished, true)]
    [InlineData(RideStatus.Cancelled, true)]
    [InlineData(RideStatus.NoDriver, true)]
    [InlineData(RideStatus.Created, false)]
    [InlineData(RideStatus.Matched, false)]
    [InlineData(RideStatus.Arrived, false)]
    [InlineData(RideStatus.Started, false)]
    public void Only_finished_cancelled_and_no_driver_are_terminal(RideStatus status, bool terminal)
    {
        Assert.Equal(terminal, RideTransitions.IsTerminal(status));
    }

    [Fact]
    public void Nothing_leaves_a_terminal_state()
    {
        Assert.DoesNotContain(RideTransitions.Allowed, t => RideTransitions.IsTerminal(t.From));
    }

    [Fact]
    public void A_started_ride_can_only_be_finished_by_the_driver()
    {
        var fromStarted = RideTransitions.Allowed.Where(t => t.From == RideStatus.Started).ToArray();

        var only = Assert.Single(fromStarted);
        Assert.Equal(new RideTransition(RideStatus.Started, RideStatus.Finished, RideActor.Driver), only);
    }

    [Fact]
    public void Leaving_a_terminal_state_says_it_is_terminal()
    {
        var error = Assert.Throws<IllegalRideTransitionException>(
            () => RideTransitions.Check(RideStatus.Finished, RideStatus.Cancelled, RideActor.Rider));

        Assert.Equal("Rider may not move a ride from FINISHED to CANCELLED (FINISHED is terminal).", error.Message);
    }
}
