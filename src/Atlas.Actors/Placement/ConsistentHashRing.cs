namespace Atlas.Actors.Placement;

/// <summary>
/// The placement ring: every active silo owns <see cref="VirtualNodesPerSilo"/> points, and a grain belongs to the
/// silo owning the first point at or after the grain's hash. Every silo and client that holds the same view
/// computes the same owner without asking anyone, and a view change moves only the grains of the ranges that changed.
/// </summary>
internal sealed class ConsistentHashRing
{
    public const int VirtualNodesPerSilo = 64;

    private readonly uint[] _points;
    private readonly SiloAddress[] _owners;

    public ConsistentHashRing(IReadOnlyList<SiloAddress> silos)
    {
        var points = new List<(uint Point, SiloAddress Silo)>(silos.Count * VirtualNodesPerSilo);
        foreach (var silo in silos)
        {
            for (var i = 0; i < VirtualNodesPerSilo; i++)
            {
                points.Add((silo.RingHash(i), silo));
            }
        }
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(a.Silo.ToString(), b.Silo.ToString()));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Silo).ToArray();
        Silos = silos;
    }

    public IReadOnlyList<SiloAddress> Silos { get; }

    public bool IsEmpty => _points.Length == 0;

    /// <summary>The silo that owns <paramref name="hash"/>, or null if the ring is empty.</summary>
    public SiloAddress? Owner(uint hash)
    {
        if (_points.Length == 0)
        {
            return null;
        }
        var index = Search(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }
        return _owners[index == _points.Length ? 0 : index];
    }

    /// <summary>
    /// <see cref="Array.BinarySearch{T}(T[], T)"/>'s own algorithm (same probes, so the same answer on every node, even
    /// where points coincide), written out: the generic search goes through a comparer on every probe, and this runs on
    /// every call a silo or client routes.
    /// </summary>
    private static int Search(uint[] points, uint value)
    {
        var low = 0;
        var high = points.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var point = points[middle];
            if (point == value)
            {
                return middle;
            }
            if (point < value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return ~low;
    }

    /// <summary>The ring ranges (begin exclusive, end inclusive) that <paramref name="silo"/> owns.</summary>
    public IReadOnlyList<(uint BeginExclusive, uint EndInclusive)> RangesOf(SiloAddress silo)
    {
        var ranges = new List<(uint, uint)>();
        for (var i = 0; i < _points.Length; i++)
        {
            if (_owners[i] == silo)
            {
                var previous = _points[i == 0 ? _points.Length - 1 : i - 1];
                ranges.Add((previous, _points[i]));
            }
        }
        return ranges;
    }
}
