using System.Runtime.CompilerServices;

namespace Atlas.Actors;

/// <summary>
/// A 32-bit hash that is identical in every process and every run (unlike <see cref="string.GetHashCode()"/>),
/// so that all silos and clients agree on placement. FNV-1a over UTF-16 code units with a murmur3 finaliser.
/// </summary>
public static class StableHash
{
    public static uint Of(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ (c & 0xFFu)) * 16777619u;
            hash = (hash ^ (uint)(c >> 8)) * 16777619u;
        }
        return Mix(hash);
    }

    public static uint Of(ReadOnlySpan<byte> value)
    {
        var hash = 2166136261u;
        foreach (var b in value)
        {
            hash = (hash ^ b) * 16777619u;
        }
        return Mix(hash);
    }

    public static uint Combine(uint a, uint b) => Mix(a * 31u + b + 0x9E3779B9u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return h;
    }
}
