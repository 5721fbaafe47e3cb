using System.Collections.Concurrent;

namespace Atlas.Actors.Invocation;

/// <summary>
/// Every grain interface, method and class loaded in this process. Filled by the module initializers that the
/// source generator emits into each assembly with grains, and read by the runtime. Process-wide: the silos of
/// an in-process cluster share it.
/// </summary>
public static class GrainRegistry
{
    private static readonly ConcurrentDictionary<Type, Func<GrainId, IGrainCallInvoker, GrainReference>> Proxies = new();
    private static readonly ConcurrentDictionary<string, Type> InterfacesByName = new();
    private static readonly ConcurrentDictionary<int, MethodMetadata> Methods = new();
    private static readonly ConcurrentDictionary<string, GrainClassMetadata> ClassesByType = new();
    private static readonly ConcurrentDictionary<Type, List<GrainClassMetadata>> ClassesByInterface = new();
    private static readonly object ClassLock = new();

    /// <summary>Registers a generated proxy and the methods of its interface.</summary>
    public static void RegisterInterface(Type interfaceType, Func<GrainId, IGrainCallInvoker, GrainReference> proxyFactory, IEnumerable<MethodMetadata> methods)
    {
        Proxies[interfaceType] = proxyFactory;
        InterfacesByName[interfaceType.FullName ?? interfaceType.Name] = interfaceType;
        foreach (var method in methods)
        {
            RegisterMethod(method);
        }
    }

    /// <summary>Registers a method (also used for the runtime's own system methods).</summary>
    public static void RegisterMethod(MethodMetadata method)
    {
        var existing = Methods.GetOrAdd(method.Id, method);
        if (!ReferenceEquals(existing, method) && (existing.InterfaceType != method.InterfaceType || existing.Signature != method.Signature))
        {
            throw new AtlasConfigurationException(
                $"Method ids collide: {existing.InterfaceName}.{existing.Signature} and {method.InterfaceName}.{method.Signature}. Rename one of them.");
        }
    }

    /// <summary>Registers a grain class.</summary>
    public static void RegisterClass(GrainClassMetadata metadata)
    {
        lock (ClassLock)
        {
            if (ClassesByType.TryGetValue(metadata.GrainType, out var existing))
            {
                if (existing.GrainClass == metadata.GrainClass)
                {
                    return;
                }
                throw new AtlasConfigurationException(
                    $"Grain classes {existing.GrainClass} and {metadata.GrainClass} both have grain type '{metadata.GrainType}'. Give one a [GrainType].");
            }
            ClassesByType[metadata.GrainType] = metadata;
            foreach (var grainInterface in metadata.Interfaces)
            {
                ClassesByInterface.GetOrAdd(grainInterface, _ => []).Add(metadata);
            }
        }
    }

    public static MethodMetadata? FindMethod(int id) => Methods.GetValueOrDefault(id);

    /// <summary>The shortest per-method timeout declared by any loaded interface, if any.</summary>
    public static TimeSpan? ShortestMethodTimeout => Methods.Values.Where(m => m.Timeout is not null).Select(m => m.Timeout).Min();

    public static Type? FindInterface(string fullName) => InterfacesByName.GetValueOrDefault(fullName);

    /// <summary>The class last found, by its type string: every call routed looks its class up, and calls mostly
    /// carry the same few type strings (a factory's or the frame reader's shared instances).</summary>
    private static GrainClassMetadata? _lastFound;

    public static GrainClassMetadata? FindClass(string grainType)
    {
        var last = _lastFound;
        if (last is not null && ReferenceEquals(last.GrainType, grainType))
        {
            return last;
        }
        var found = ClassesByType.GetValueOrDefault(grainType);
        if (found is not null)
        {
            _lastFound = found;
        }
        return found;
    }

    public static IReadOnlyCollection<GrainClassMetadata> Classes => ClassesByType.Values.ToArray();

    /// <summary>The one class implementing <paramref name="interfaceType"/>; throws if none or several do.</summary>
    public static GrainClassMetadata ClassFor(Type interfaceType)
    {
        if (!ClassesByInterface.ContainsKey(interfaceType))
        {
            GrainAssemblies.EnsureRegistered();
        }
        if (!ClassesByInterface.TryGetValue(interfaceType, out var classes) || classes.Count == 0)
        {
            throw new AtlasConfigurationException(
                $"No grain class implementing {interfaceType} is loaded. Reference the assembly that holds it (it must use the Atlas generator).");
        }
        lock (ClassLock)
        {
            if (classes.Count == 1)
            {
                return classes[0];
            }
            // A class that implements the interface only through a derived interface is not its primary implementation.
            var direct = classes.Where(c => !c.Interfaces.Any(other => other != interfaceType && interfaceType.IsAssignableFrom(other))).ToList();
            if (direct.Count == 1)
            {
                return direct[0];
            }
            throw new AtlasConfigurationException(
                $"{interfaceType} is implemented by several grain classes ({string.Join(", ", classes.Select(c => c.GrainClass.Name))}); give the interface one implementation.");
        }
    }

    public static Func<GrainId, IGrainCallInvoker, GrainReference> ProxyFactoryFor(Type interfaceType)
    {
        if (Proxies.TryGetValue(interfaceType, out var factory))
        {
            return factory;
        }
        // The interface's assembly may not have run its registration yet.
        GrainAssemblies.EnsureRegistered(interfaceType.Assembly);
        return Proxies.TryGetValue(interfaceType, out factory)
            ? factory
            : throw new AtlasConfigurationException(
                $"No proxy was generated for {interfaceType}. Its assembly must reference Atlas.Actors.Generators as an analyzer, and the interface must be public.");
    }
}
