using System.Diagnostics.CodeAnalysis;

namespace Atlas.Grains.Rides;

/// <summary>Parsing of the wire names of the domain's enums (vehicle types, ride and driver statuses).</summary>
internal static class WireNames
{
    /// <summary>
    /// The value of <paramref name="all"/> whose wire name is <paramref name="value"/>, ignoring case and surrounding white
    /// space. Only wire names: <c>Enum.TryParse</c> would also accept <c>"0"</c> or <c>"Xl, Premium"</c>.
    /// </summary>
    public static bool TryParse<T>([NotNullWhen(true)] string? value, IReadOnlyList<T> all, Func<T, string> wireName, out T result)
        where T : struct, Enum
    {
        var trimmed = value?.Trim();
        foreach (var candidate in all)
        {
            if (string.Equals(wireName(candidate), trimmed, StringComparison.OrdinalIgnoreCase))
            {
                result = candidate;
                return true;
            }
        }
        result = default;
        return false;
    }
}
