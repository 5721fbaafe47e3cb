using System.Globalization;

namespace Atlas.Actors;

/// <summary>
/// A silo's identity: where it listens and the generation (start time) that tells a restarted silo apart
/// from its earlier incarnation on the same endpoint.
/// </summary>
public sealed record SiloAddress(string Host, int Port, long Generation)
{
    /// <summary>The <c>host:port</c> to connect to.</summary>
    public string Endpoint => $"{Host}:{Port}";

    /// <summary>A new generation number: milliseconds since 2024-01-01, so later starts get larger numbers.</summary>
    public static long NewGeneration() =>
        (long)(DateTime.UtcNow - new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalMilliseconds;

    public override string ToString() => $"{Host}:{Port}@{Generation}";

    /// <summary>Parses the <c>host:port@generation</c> form.</summary>
    public static SiloAddress Parse(string value)
    {
        var at = value.LastIndexOf('@');
        var colon = at > 0 ? value.LastIndexOf(':', at) : -1;
        if (at <= 0 || colon <= 0)
        {
            throw new FormatException($"'{value}' is not a silo address of the form host:port@generation.");
        }
        return new SiloAddress(
            value[..colon],
            int.Parse(value.AsSpan(colon + 1, at - colon - 1), CultureInfo.InvariantCulture),
            long.Parse(value.AsSpan(at + 1), CultureInfo.InvariantCulture));
    }

    /// <summary>The position of this silo's i-th virtual node on the placement ring.</summary>
    internal uint RingHash(int virtualNode) => StableHash.Combine(StableHash.Of(ToString()), (uint)virtualNode);
}
