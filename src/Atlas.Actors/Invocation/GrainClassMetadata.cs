using System.Reflection;

namespace Atlas.Actors.Invocation;

/// <summary>What a grain class needs at activation: made by the generator, one per grain class.</summary>
public interface IGrainActivationContext
{
    IServiceProvider Services { get; }

    /// <summary>A constructor dependency, resolved from the silo's services.</summary>
    TService GetRequiredService<TService>() where TService : notnull;

    /// <summary>The state injected for a <see cref="PersistentStateAttribute"/> constructor parameter.</summary>
    IPersistentState<TState> GetPersistentState<TState>(string stateName, string storageName) where TState : new();
}

/// <summary>One <see cref="PersistentStateAttribute"/> parameter of a grain class constructor.</summary>
public sealed record PersistentStateMetadata(string StateName, string StorageName, Type StateType);

/// <summary>A grain class as the runtime sees it. Built from generated code; class attributes are read once here.</summary>
public sealed class GrainClassMetadata
{
    /// <param name="grainClass">The grain class.</param>
    /// <param name="factory">Creates an instance (generated: constructor arguments come from services and persistent states).</param>
    /// <param name="states">The persistent states the constructor asks for.</param>
    public GrainClassMetadata(Type grainClass, Func<IGrainActivationContext, Grain> factory, IReadOnlyList<PersistentStateMetadata> states)
    {
        GrainClass = grainClass;
        Factory = factory;
        States = states;
        GrainType = grainClass.GetCustomAttribute<GrainTypeAttribute>()?.Name ?? DefaultGrainType(grainClass);
        Interfaces = grainClass.GetInterfaces()
            .Where(i => typeof(IGrain).IsAssignableFrom(i) && i != typeof(IGrain) && i != typeof(IGrainWithStringKey) &&
                        i != typeof(IGrainWithGuidKey) && i != typeof(IGrainWithIntegerKey) && i != typeof(IRemindable))
            .ToArray();
        IsReentrant = grainClass.GetCustomAttribute<ReentrantAttribute>() is not null;
        AllowsCallChainReentrancy = grainClass.GetCustomAttribute<AllowCallChainReentrancyAttribute>() is not null;
        if (grainClass.GetCustomAttribute<StatelessWorkerAttribute>() is { } worker)
        {
            IsStatelessWorker = true;
            MaxLocalWorkers = worker.MaxLocalWorkers > 0 ? worker.MaxLocalWorkers : Environment.ProcessorCount;
        }
        if (grainClass.GetCustomAttribute<CollectionAgeLimitAttribute>() is { } age)
        {
            AlwaysActive = age.AlwaysActive;
            CollectionAge = age.AlwaysActive ? null : age.Amount;
        }
        IsRemindable = typeof(IRemindable).IsAssignableFrom(grainClass);
    }

    public Type GrainClass { get; }
    public string GrainType { get; }
    public IReadOnlyList<Type> Interfaces { get; }
    public Func<IGrainActivationContext, Grain> Factory { get; }
    public IReadOnlyList<PersistentStateMetadata> States { get; }
    public bool IsReentrant { get; }
    public bool AllowsCallChainReentrancy { get; }
    public bool IsStatelessWorker { get; }
    public int MaxLocalWorkers { get; }
    public TimeSpan? CollectionAge { get; }
    public bool AlwaysActive { get; }
    public bool IsRemindable { get; }

    /// <summary><c>DriverGrain</c> → <c>driver</c>; <c>Counter</c> → <c>counter</c>.</summary>
    public static string DefaultGrainType(Type grainClass)
    {
        var name = grainClass.Name;
        var tick = name.IndexOf('`');
        if (tick > 0)
        {
            name = name[..tick];
        }
        if (name.EndsWith("Grain", StringComparison.Ordinal) && name.Length > "Grain".Length)
        {
            name = name[..^"Grain".Length];
        }
        return name.ToLowerInvariant();
    }
}
