namespace Atlas.Actors;

/// <summary>Anything the runtime can address: grain references and grains.</summary>
public interface IAddressable;

/// <summary>Base of every grain interface. Derive from one of the keyed variants.</summary>
public interface IGrain : IAddressable;

/// <summary>A grain addressed by a string key.</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>A grain addressed by a <see cref="Guid"/> key.</summary>
public interface IGrainWithGuidKey : IGrain;

/// <summary>A grain addressed by a 64-bit integer key.</summary>
public interface IGrainWithIntegerKey : IGrain;
