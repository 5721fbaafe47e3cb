namespace Atlas.Actors;

/// <summary>Requests to this grain class may interleave at their awaits.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute;

/// <summary>Requests to this interface method may run while any other request is running.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute;

/// <summary>The method does not change grain state: read-only requests may run together.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute;

/// <summary>The caller does not wait for a response; the method must return <see cref="Task"/> or <see cref="ValueTask"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute;

/// <summary>
/// The grain is stateless: each silo may run several local activations of one key, never registered in placement.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class StatelessWorkerAttribute(int maxLocalWorkers = 0) : Attribute
{
    /// <summary>Most activations per silo; 0 means one per processor.</summary>
    public int MaxLocalWorkers { get; } = maxLocalWorkers;
}

/// <summary>Overrides the call timeout for one interface method, e.g. <c>[ResponseTimeout("00:00:05")]</c>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseTimeoutAttribute(string timeout) : Attribute
{
    public TimeSpan Timeout { get; } = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Overrides how long an idle activation of this class lives before it is collected.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class CollectionAgeLimitAttribute : Attribute
{
    public double Days { get; init; }
    public double Hours { get; init; }
    public double Minutes { get; init; }
    public double Seconds { get; init; }

    /// <summary>Never collect idle activations of this class.</summary>
    public bool AlwaysActive { get; init; }

    public TimeSpan Amount => TimeSpan.FromDays(Days) + TimeSpan.FromHours(Hours) + TimeSpan.FromMinutes(Minutes) + TimeSpan.FromSeconds(Seconds);
}

/// <summary>Names the grain type (the first part of a <see cref="GrainId"/>). Defaults to the class name without a <c>Grain</c> suffix, lower-cased.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>
/// A request of the same call chain may re-enter this grain while an earlier request of that chain awaits
/// (A→B→A). Without it, such a cycle fails at once with <see cref="CallCycleException"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class AllowCallChainReentrancyAttribute : Attribute;

/// <summary>
/// Declares a type deeply immutable, so it is passed between grains of one silo without a copy.
/// Sealed records whose members are all read-only and immutable are recognised without it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class ImmutableAttribute : Attribute;
