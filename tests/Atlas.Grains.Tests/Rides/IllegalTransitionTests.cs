using Atlas.Grains.Geo;
using Atlas.Grains.Rides;
using static Atlas.Grains.Tests.RideScenario;

namespace Atlas.Grains.Tests.Rides;

[Collection(RidesCollection.Name)]
public sealed class IllegalTransitionTests(RidesFixture fixture)
{
    private readonly RideScenario _scenario = fixture.Scenario();

    public static TheoryData<RideStatus> States => new(Enum.GetValues<RideStatus>());

    /// <summary>Every move a participant can ask for, as (target status, actor).</summary>
    private static readonly (RideStatus To, RideActor Actor)[] Moves =
    [
        (RideStatus.Arrived, RideActor.Driver),
        (RideStatus.Started, RideActor.Driver),
        (RideStatus.Finished, RideActor.Driver),
        (RideStatus.Cancelled, RideActor.Rider),
        (RideStatus.Cancelled, RideActor.Driver),
        (RideStatus.Cancelled, RideActor.System),
    ];

    [Theory]
    [MemberData(nameof(States))]
    public async Task Every_move_not_in_the_table_is_refused_naming_from_to_and_actor(RideStatus from)
    {
        foreach (var (to, actor) in Moves)
        {
            if (RideTransitions.IsAllowed(from, to, actor) || from == to)
            {
                continue; // allowed, or a repeat (answered with the ride unchanged)
            }
            var (rideId, riderId, driverId) = await RideInStateAsync(from);
            var actorId = actor == RideActor.Rider ? riderId : driverId ?? "system";
            if (actor == RideActor.Driver && driverId is null)
            {
                // No driver is assigned yet: any driver is a stranger to the ride.
                await Assert.ThrowsAsync<NotRideParticipantException>(() => MoveAsync(rideId, to, actor, "stranger"));
                continue;
            }

            var error = await Assert.ThrowsAsync<IllegalRideTransitionException>(() => MoveAsync(rideId, to, actor, actorId));

            Assert.Equal((from, to, actor), (error.From, error.To, error.Actor));
            Assert.Contains(from.ToWireName(), error.Message);
            Assert.Contains(to.ToWireName(), error.Message);
            Assert.Equal(from, (await _scenario.Ride(rideId).Get()).Status);
        }
    }

    [Theory]
    [MemberData(nameof(States))]
    public async Task Every_move_in_the_table_is_made(RideStatus from)
    {
        foreach (var (to, actor) in Moves.Where(m => RideTransitions.IsAllowed(from, m.To, m.Actor)))
        {
            var (rideId, riderId, driverId) = await RideInStateAsync(from);
            var actorId = actor == RideActor.Rider ? riderId : driverId ?? "system";

            var ride = await MoveAsync(rideId, to, actor, actorId);

            Assert.Equal(to, ride.Status);
        }
    }

    private Task<RideView> MoveAsync(string rideId, RideStatus to, RideActor actor, string actorId)
    {
        var ride = _scenario.Ride(rideId);
        return to switch
        {
            RideStatus.Arrived => ride.MarkArrived(actorId),
            RideStatus.Started => ride.StartTrip(actorId),
            RideStatus.Finished => ride.FinishTrip(actorId),
            RideStatus.Cancelled => ride.Cancel(actor, actorId, "test"),
            _ => throw new ArgumentOutOfRangeException(nameof(to)),
        };
    }

    /// <summary>A fresh ride in the given state, in an area of its own.</summary>
    private async Task<(string RideId, string RiderId, string? DriverId)> RideInStateAsync(RideStatus status)
    {
        var pickup = new GeoPoint(-60 + Random.Shared.NextDouble() * 10, -170 + Random.Shared.NextDouble() * 10);
        var riderId = await _scenario.RiderWithFundsAsync();
        var ride = await _scenario.CreateRideAsync(riderId, pickup, Offset(pickup, 1_000, 0));
        if (status == RideStatus.Created)
        {
            return (ride.RideId, riderId, null);
        }
        if (status == RideStatus.NoDriver)
        {
            Assert.Equal(RideStatus.NoDriver, (await _scenario.Ride(ride.RideId).RequestDriver()).Status);
            return (ride.RideId, riderId, null);
        }
        var driverId = await _scenario.OnlineDriverAsync(Offset(pickup, 100, 0));
        await _scenario.Ride(ride.RideId).RequestDriver();
        await _scenario.Ride(ride.RideId).AcceptOffer(driverId);
        var steps = status switch
        {
            RideStatus.Matched => 0,
            RideStatus.Arrived => 1,
            RideStatus.Started => 2,
            RideStatus.Finished => 3,
            _ => 0,
        };
        if (steps >= 1)
        {
            await _scenario.Ride(ride.RideId).MarkArrived(driverId);
        }
        if (steps >= 2)
        {
            await _scenario.Ride(ride.RideId).StartTrip(driverId);
        }
        if (steps >= 3)
        {
            await _scenario.Ride(ride.RideId).FinishTrip(driverId);
        }
        if (status == RideStatus.Cancelled)
        {
            await _scenario.Ride(ride.RideId).Cancel(RideActor.Rider, riderId, "test");
        }
        Assert.Equal(status, (await _scenario.Ride(ride.RideId).Get()).Status);
        return (ride.RideId, riderId, driverId);
    }
}
