namespace Atlas.Grains.Geo;

/// <summary>A driver (or any located thing) as the geo index reports it.</summary>
[GenerateSerializer, Immutable, Alias("atlas.GeoCandidate")]
public readonly record struct GeoCandidate([property: Id(0)] string Id, [property: Id(1)] GeoPoint Location, [property: Id(2)] DateTimeOffset LastSeen);

/// <summary>A candidate that passed the search, with its distance from the search centre.</summary>
[GenerateSerializer, Immutable, Alias("atlas.GeoNeighbor")]
public readonly record struct GeoNeighbor([property: Id(0)] string Id, [property: Id(1)] GeoPoint Location, [property: Id(2)] DateTimeOffset LastSeen, [property: Id(3)] double DistanceMeters);

/// <summary>Exact k-nearest search over index candidates, directly or by widening radius steps.</summary>
public static class NearestSearch
{
    /// <summary>
    /// The <paramref name="k"/> nearest candidates that are fresh (<c>LastSeen &gt;= freshSince</c>) and within
    /// <paramref name="radiusMeters"/> (inclusive) of <paramref name="center"/>, ordered by distance, then by id (ordinal).
    /// </summary>
    /// <remarks>
    /// Candidates may be a superset (e.g. everything in the covering cells); filtering happens here.
    /// When the same id appears more than once (a driver briefly listed in its old and new cell) the entry with the
    /// latest <c>LastSeen</c> wins, before freshness and radius are applied, so an old position never shadows a new one.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1 or the radius is negative or not finite.</exception>
    /// <exception cref="ArgumentException">A candidate has no id.</exception>
    public static IReadOnlyList<GeoNeighbor> Nearest(
        IEnumerable<GeoCandidate> candidates,
        GeoPoint center,
        int k,
        double radiusMeters,
        DateTimeOffset freshSince)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ValidateRadius(radiusMeters);

        var latest = new Dictionary<string, GeoCandidate>(StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            if (string.IsNullOrEmpty(candidate.Id))
            {
                throw new ArgumentException("Every candidate needs a non-empty id.", nameof(candidates));
            }

            if (!latest.TryGetValue(candidate.Id, out var seen) || candidate.LastSeen > seen.LastSeen)
            {
                latest[candidate.Id] = candidate;
            }
        }

        var inRange = new List<GeoNeighbor>();
        foreach (var candidate in latest.Values)
        {
            if (candidate.LastSeen < freshSince)
            {
                continue;
            }

            var distance = GeoMath.DistanceMeters(center, candidate.Location);
            if (distance <= radiusMeters)
            {
                inRange.Add(new GeoNeighbor(candidate.Id, candidate.Location, candidate.LastSeen, distance));
            }
        }

        inRange.Sort(CompareByDistanceThenId);
        if (inRange.Count > k)
        {
            inRange.RemoveRange(k, inRange.Count - k);
        }

        return inRange;
    }

    /// <summary>
    /// Searches the smallest radius step first and widens only while fewer than <paramref name="k"/> were found.
    /// The result equals <see cref="Nearest"/> over all candidates at the largest step.
    /// </summary>
    /// <remarks>
    /// Why stopping early is exact: a step of radius r returns the k nearest among candidates within r. If it found k,
    /// every candidate it did not look at is farther than r, hence strictly farther than all k found, so widening could
    /// not change the set or its order. If it found fewer than k, a farther candidate might belong, so we widen.
    /// <paramref name="candidatesWithin"/> must return at least every candidate within the given radius
    /// (typically: the contents of <see cref="GeoCell.Covering"/> cells); returning more is harmless.
    /// </remarks>
    public static IReadOnlyList<GeoNeighbor> Widening(
        Func<double, IEnumerable<GeoCandidate>> candidatesWithin,
        GeoPoint center,
        int k,
        DateTimeOffset freshSince,
        RadiusSteps? steps = null)
    {
        ArgumentNullException.ThrowIfNull(candidatesWithin);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);

        IReadOnlyList<GeoNeighbor> found = [];
        foreach (var radius in (steps ?? RadiusSteps.Default).Meters)
        {
            found = Nearest(candidatesWithin(radius), center, k, radius, freshSince);
            if (found.Count >= k)
            {
                break;
            }
        }

        return found;
    }

    /// <summary>Asynchronous <see cref="Widening"/>, for when each step queries index shards.</summary>
    public static async ValueTask<IReadOnlyList<GeoNeighbor>> WideningAsync(
        Func<double, CancellationToken, ValueTask<IEnumerable<GeoCandidate>>> candidatesWithin,
        GeoPoint center,
        int k,
        DateTimeOffset freshSince,
        RadiusSteps? steps = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidatesWithin);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);

        IReadOnlyList<GeoNeighbor> found = [];
        foreach (var radius in (steps ?? RadiusSteps.Default).Meters)
        {
            var candidates = await candidatesWithin(radius, cancellationToken).ConfigureAwait(false);
            found = Nearest(candidates, center, k, radius, freshSince);
            if (found.Count >= k)
            {
                break;
            }
        }

        return found;
    }

    private static int CompareByDistanceThenId(GeoNeighbor a, GeoNeighbor b)
    {
        var byDistance = a.DistanceMeters.CompareTo(b.DistanceMeters);
        return byDistance != 0 ? byDistance : string.CompareOrdinal(a.Id, b.Id);
    }

    private static void ValidateRadius(double radiusMeters)
    {
        if (!double.IsFinite(radiusMeters) || radiusMeters < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(radiusMeters), radiusMeters, "Radius must be a finite, non-negative number of metres.");
        }
    }
}
