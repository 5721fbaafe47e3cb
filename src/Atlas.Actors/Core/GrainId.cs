using System.Globalization;

namespace Atlas.Actors;

/// <summary>
/// The identity of a grain: its grain type (the implementing class's name, e.g. <c>driver</c>) and its key.
/// Guid and integer keys are held in their canonical string form.
/// </summary>
public sealed class GrainId : IEquatable<GrainId>
{
    private readonly int _hashCode;

    public GrainId(string type, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(key);
        Type = type;
        Key = key;
        PlacementHash = StableHash.Combine(StableHash.Of(type), StableHash.Of(key));
        _hashCode = (int)PlacementHash;
    }

    /// <summary>A grain id whose type hash is already known (<see cref="StableHash.Of(string)"/> of <paramref name="type"/>).</summary>
    internal GrainId(string type, uint typeHash, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(key);
        Type = type;
        Key = key;
        PlacementHash = StableHash.Combine(typeHash, StableHash.Of(key));
        _hashCode = (int)PlacementHash;
    }

    /// <summary>The grain type name.</summary>
    public string Type { get; }

    /// <summary>The key in canonical string form.</summary>
    public string Key { get; }

    /// <summary>A hash that is the same in every process: used for placement and reminder ranges.</summary>
    public uint PlacementHash { get; }

    public static GrainId Create(string type, Guid key) => new(type, key.ToString("D"));

    public static GrainId Create(string type, long key) => new(type, key.ToString(CultureInfo.InvariantCulture));

    /// <summary>Parses the <c>type/key</c> form produced by <see cref="ToString"/>.</summary>
    public static GrainId Parse(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1)
        {
            throw new FormatException($"'{value}' is not a grain id of the form type/key.");
        }
        return new GrainId(value[..slash], value[(slash + 1)..]);
    }

    public Guid GetGuidKey() => Guid.TryParse(Key, out var guid)
        ? guid
        : throw new InvalidOperationException($"Grain {this} does not have a Guid key.");

    public long GetIntegerKey() => long.TryParse(Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw new InvalidOperationException($"Grain {this} does not have an integer key.");

    public bool Equals(GrainId? other) =>
        ReferenceEquals(this, other) ||
        (other is not null && _hashCode == other._hashCode && Key == other.Key && Type == other.Type);

    public override bool Equals(object? obj) => Equals(obj as GrainId);

    public override int GetHashCode() => _hashCode;

    public override string ToString() => $"{Type}/{Key}";

    public static bool operator ==(GrainId? left, GrainId? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(GrainId? left, GrainId? right) => !(left == right);
}
