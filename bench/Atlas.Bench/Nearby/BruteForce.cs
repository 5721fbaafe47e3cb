using Atlas.Grains.Geo;

namespace Atlas.Bench.Nearby;

/// <summary>The reference answer: every driver's distance, those within the radius, the k nearest by distance then id.</summary>
internal static class BruteForce
{
    public static List<(string Id, double Distance)> Nearest(string[] ids, GeoPoint[] positions, GeoPoint center, int k, double radiusMeters)
    {
        var within = new List<(string Id, double Distance)>();
        for (var i = 0; i < ids.Length; i++)
        {
            var distance = GeoMath.DistanceMeters(center, positions[i]);
            if (distance <= radiusMeters)
            {
                within.Add((ids[i], distance));
            }
        }
        within.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : string.CompareOrdinal(a.Id, b.Id));
        return within.Count > k ? within[..k] : within;
    }
}
