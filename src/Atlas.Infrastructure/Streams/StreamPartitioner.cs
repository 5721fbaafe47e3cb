using System.Text;

namespace Atlas.Infrastructure.Streams;

/// <summary>
/// Chooses a partition for a key with a hash that is the same in every process and every .NET version (32-bit FNV-1a
/// over the key's UTF-8 bytes), unlike <see cref="string.GetHashCode()"/>, which is randomized per process.
/// </summary>
public static class StreamPartitioner
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    /// <summary>The partition in <c>[0, partitions)</c> of <paramref name="key"/>.</summary>
    public static int PartitionOf(string key, int partitions)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (int)(Hash(key) % (uint)partitions);
    }

    internal static uint Hash(string key)
    {
        Span<byte> buffer = key.Length <= 128 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var length = Encoding.UTF8.GetBytes(key, buffer);
        var hash = OffsetBasis;
        foreach (var b in buffer[..length])
        {
            hash = unchecked((hash ^ b) * Prime);
        }
        return hash;
    }
}
