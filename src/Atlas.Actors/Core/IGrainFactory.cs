using Atlas.Actors.Invocation;

namespace Atlas.Actors;

/// <summary>Makes grain references. Making a reference activates nothing; the first call does.</summary>
public interface IGrainFactory
{
    TGrainInterface GetGrain<TGrainInterface>(string primaryKey) where TGrainInterface : IGrainWithStringKey;

    TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey) where TGrainInterface : IGrainWithGuidKey;

    TGrainInterface GetGrain<TGrainInterface>(long primaryKey) where TGrainInterface : IGrainWithIntegerKey;

    /// <summary>A reference to the grain with this id through interface <typeparamref name="TGrainInterface"/>.</summary>
    TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable;
}

/// <summary>The grain factory of one runtime (silo or client).</summary>
internal sealed class GrainFactory(IGrainCallInvoker invoker) : IGrainFactory, Serialization.IGrainReferenceBinder
{
    private readonly IGrainCallInvoker _invoker = invoker;

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey) where TGrainInterface : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrEmpty(primaryKey);
        return Create<TGrainInterface>(new GrainId(ProxyCache<TGrainInterface>.GrainType, primaryKey));
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey) where TGrainInterface : IGrainWithGuidKey =>
        Create<TGrainInterface>(GrainId.Create(ProxyCache<TGrainInterface>.GrainType, primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey) where TGrainInterface : IGrainWithIntegerKey =>
        Create<TGrainInterface>(GrainId.Create(ProxyCache<TGrainInterface>.GrainType, primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable
    {
        ArgumentNullException.ThrowIfNull(grainId);
        return Create<TGrainInterface>(grainId);
    }

    public object Bind(Type interfaceType, GrainId grainId) => GrainRegistry.ProxyFactoryFor(interfaceType)(grainId, _invoker);

    private TGrainInterface Create<TGrainInterface>(GrainId grainId) => (TGrainInterface)(object)ProxyCache<TGrainInterface>.Factory(grainId, _invoker);

    /// <summary>Per-interface lookups, done once.</summary>
    private static class ProxyCache<TGrainInterface>
    {
        private static Func<GrainId, IGrainCallInvoker, GrainReference>? _factory;
        private static string? _grainType;

        public static Func<GrainId, IGrainCallInvoker, GrainReference> Factory =>
            _factory ??= GrainRegistry.ProxyFactoryFor(typeof(TGrainInterface));

        public static string GrainType => _grainType ??= GrainRegistry.ClassFor(typeof(TGrainInterface)).GrainType;
    }
}
