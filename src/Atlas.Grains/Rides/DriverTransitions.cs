using System.Collections.Frozen;

namespace Atlas.Grains.Rides;

/// <summary>One allowed driver availability change.</summary>
public readonly record struct DriverTransition(DriverStatus From, DriverStatus To);

/// <summary>The driver availability state machine used by dispatch.</summary>
/// <remarks>
/// A driver is claimed (OFFERED) before an offer is sent so two rides can never offer the same driver; in assign
/// dispatch the claim puts the driver on the trip at once, in the same single turn.
/// Going offline is only possible from AVAILABLE: an outstanding offer must be declined or expire first, and a
/// trip must end first, so no ride is left with a driver the index no longer sees.
/// </remarks>
public static class DriverTransitions
{
    private static readonly FrozenSet<DriverTransition> AllowedSet = new DriverTransition[]
    {
        new(DriverStatus.Offline, DriverStatus.Available),   // go online
        new(DriverStatus.Available, DriverStatus.Offline),   // go offline
        new(DriverStatus.Available, DriverStatus.Offered),   // claimed for an offer
        new(DriverStatus.Offered, DriverStatus.Available),   // offer declined, expired or ride cancelled
        new(DriverStatus.Offered, DriverStatus.OnTrip),      // offer accepted
        new(DriverStatus.Available, DriverStatus.OnTrip),    // assigned at once (assign dispatch)
        new(DriverStatus.OnTrip, DriverStatus.Available),    // ride finished or cancelled
    }.ToFrozenSet();

    /// <summary>Every allowed move.</summary>
    public static IReadOnlySet<DriverTransition> Allowed => AllowedSet;

    public static bool IsAllowed(DriverStatus from, DriverStatus to) =>
        AllowedSet.Contains(new DriverTransition(from, to));

    /// <exception cref="IllegalDriverTransitionException">The move does not exist.</exception>
    public static void Check(DriverStatus from, DriverStatus to)
    {
        if (!IsAllowed(from, to))
        {
            throw new IllegalDriverTransitionException(from, to);
        }
    }
}
