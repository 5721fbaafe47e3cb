namespace Atlas.Actors.Invocation;

/// <summary>How a grain interface method may be scheduled.</summary>
[Flags]
public enum MethodFlags
{
    None = 0,
    OneWay = 1,
    ReadOnly = 2,
    AlwaysInterleave = 4,
}

/// <summary>
/// Everything the runtime knows about one grain interface method: generated once per method, shared by all its requests.
/// </summary>
public sealed class MethodMetadata
{
    /// <param name="interfaceType">The grain interface declaring the method.</param>
    /// <param name="name">The method name.</param>
    /// <param name="signature">Name and parameter types, e.g. <c>Add(int,string)</c>: with the interface name it makes the stable id.</param>
    /// <param name="flags">Scheduling flags from the method's attributes.</param>
    /// <param name="timeout">A per-method timeout, or null for the runtime default.</param>
    /// <param name="createRequest">Makes an empty request, for deserialization.</param>
    public MethodMetadata(Type interfaceType, string name, string signature, MethodFlags flags, TimeSpan? timeout, Func<GrainRequest> createRequest)
    {
        InterfaceType = interfaceType;
        Name = name;
        Signature = signature;
        Flags = flags;
        Timeout = timeout;
        CreateRequest = createRequest;
        InterfaceName = interfaceType.FullName ?? interfaceType.Name;
        Id = (int)StableHash.Of(InterfaceName + "::" + signature);
        DisplayName = $"{interfaceType.Name}.{name}";
    }

    /// <summary>Stable across processes built from the same interface.</summary>
    public int Id { get; }
    public Type InterfaceType { get; }
    public string InterfaceName { get; }
    public string Name { get; }
    public string Signature { get; }
    public string DisplayName { get; }
    public MethodFlags Flags { get; }
    public TimeSpan? Timeout { get; }
    public Func<GrainRequest> CreateRequest { get; }

    public bool IsOneWay => (Flags & MethodFlags.OneWay) != 0;
    public bool IsReadOnly => (Flags & MethodFlags.ReadOnly) != 0;
    public bool IsAlwaysInterleave => (Flags & MethodFlags.AlwaysInterleave) != 0;

    public override string ToString() => DisplayName;
}
