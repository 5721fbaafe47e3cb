using System.Collections.Frozen;

namespace Atlas.Grains.Rides;

/// <summary>One allowed ride state change and the actor allowed to make it.</summary>
public readonly record struct RideTransition(RideStatus From, RideStatus To, RideActor Actor);

/// <summary>The ride state machine: which moves exist and who may make each.</summary>
/// <remarks>
/// <para>
/// Happy path: CREATED → MATCHED → ARRIVED → STARTED → FINISHED, or CREATED → MATCHED → STARTED → FINISHED without
/// ARRIVED (what the existing driver app sends). FINISHED, CANCELLED and NO_DRIVER are terminal.
/// </para>
/// <para>
/// Only the system dispatches (matching, or giving up with NO_DRIVER); only the driver moves the trip forward.
/// Cancelling is possible until the trip starts: by the rider at any point before STARTED, by the driver once
/// assigned, and by the system (payment hold failed, driver unreachable, wait timeouts). A started trip can only
/// finish, so it is always priced and paid.
/// </para>
/// <para>A move to the same state is not a transition; grains should treat a repeated command as idempotent before asking.</para>
/// </remarks>
public static class RideTransitions
{
    private static readonly FrozenSet<RideTransition> AllowedSet = new RideTransition[]
    {
        // Dispatch outcome.
        new(RideStatus.Created, RideStatus.Matched, RideActor.System),
        new(RideStatus.Created, RideStatus.NoDriver, RideActor.System),

        // Trip progress is reported by the driver's app.
        new(RideStatus.Matched, RideStatus.Arrived, RideActor.Driver),
        new(RideStatus.Arrived, RideStatus.Started, RideActor.Driver),
        // The existing driver app starts the trip without marking ARRIVED.
        new(RideStatus.Matched, RideStatus.Started, RideActor.Driver),
        new(RideStatus.Started, RideStatus.Finished, RideActor.Driver),

        // Rider cancels any time before the trip starts.
        new(RideStatus.Created, RideStatus.Cancelled, RideActor.Rider),
        new(RideStatus.Matched, RideStatus.Cancelled, RideActor.Rider),
        new(RideStatus.Arrived, RideStatus.Cancelled, RideActor.Rider),

        // Driver cancels once assigned (changed plans, rider no-show at pickup).
        new(RideStatus.Matched, RideStatus.Cancelled, RideActor.Driver),
        new(RideStatus.Arrived, RideStatus.Cancelled, RideActor.Driver),

        // System cancels: payment hold failed before dispatch, driver lost or timed out, no-show timeout.
        new(RideStatus.Created, RideStatus.Cancelled, RideActor.System),
        new(RideStatus.Matched, RideStatus.Cancelled, RideActor.System),
        new(RideStatus.Arrived, RideStatus.Cancelled, RideActor.System),
    }.ToFrozenSet();

    /// <summary>Every allowed move.</summary>
    public static IReadOnlySet<RideTransition> Allowed => AllowedSet;

    public static bool IsTerminal(RideStatus status) =>
        status is RideStatus.Finished or RideStatus.Cancelled or RideStatus.NoDriver;

    public static bool IsAllowed(RideStatus from, RideStatus to, RideActor actor) =>
        AllowedSet.Contains(new RideTransition(from, to, actor));

    /// <exception cref="IllegalRideTransitionException">The move does not exist or <paramref name="actor"/> may not make it.</exception>
    public static void Check(RideStatus from, RideStatus to, RideActor actor)
    {
        if (!IsAllowed(from, to, actor))
        {
            throw new IllegalRideTransitionException(from, to, actor);
        }
    }
}
