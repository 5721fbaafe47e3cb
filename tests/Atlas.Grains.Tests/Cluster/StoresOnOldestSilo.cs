using Orleans.Metadata;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Atlas.Grains.Tests.Cluster;

/// <summary>
/// Places Orleans' in-memory stores — the grains of the memory grain storage and of the in-memory reminder table — on
/// the oldest silo of the cluster, which no test kills. Those stores are grains: killed with their silo, they would take
/// every ride's state and every reminder with them, which a database does not do. Tests that kill a silo kill another
/// one, as a silo crash beside a database would be.
/// </summary>
[GenerateSerializer, Immutable, Alias("atlas.tests.OldestSiloPlacement")]
public sealed class OldestSiloPlacement : PlacementStrategy;

/// <summary>Puts a grain on the compatible silo started first (the lowest generation).</summary>
public sealed class OldestSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(context.GetCompatibleSilos(target).MinBy(silo => silo.Generation)!);
}

/// <summary>Gives Orleans' in-memory store grains <see cref="OldestSiloPlacement"/>; every other grain keeps its own placement.</summary>
public sealed class StoresOnOldestSiloResolver(OldestSiloPlacement placement) : IPlacementStrategyResolver
{
    /// <summary>The grain classes of <c>UseAtlasMemoryStorage</c>: Orleans' memory storage and in-memory reminder table.</summary>
    public static readonly IReadOnlySet<string> StoreGrainClasses = new HashSet<string>(StringComparer.Ordinal)
    {
        "Orleans.Storage.MemoryStorageGrain",
        "Orleans.Runtime.ReminderService.ReminderTableGrain",
    };

    public bool TryResolvePlacementStrategy(GrainType grainType, GrainProperties? properties, out PlacementStrategy result)
    {
        if (properties is not null &&
            properties.Properties.TryGetValue(WellKnownGrainTypeProperties.FullTypeName, out var typeName) &&
            StoreGrainClasses.Contains(typeName))
        {
            result = placement;
            return true;
        }
        result = null!;
        return false;
    }
}
