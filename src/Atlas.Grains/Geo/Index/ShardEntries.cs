using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// The entries of one index shard, unique by id, kept in the buckets of a fine latitude/longitude grid so that a
/// nearest query looks only at the buckets that the bounding box of its circle touches, instead of at every entry.
/// </summary>
/// <remarks>
/// <para>
/// Exact: a query returns what <see cref="NearestSearch.Nearest"/> returns over all entries — the same entries, the same
/// distances to the last bit (<see cref="GeoMath.DistanceMeters(double, double, double, double, double, double)"/>),
/// ordered by distance then id. Skipping is safe because every point within the radius lies in the circle's bounding
/// box (± r/R in latitude, ± asin(sin(r/R) / cos(lat)) in longitude, all longitudes when the circle nearly reaches a
/// pole, both padded against rounding; longitudes compared around the antimeridian), and each bucket knows the box of
/// the entries it holds, whatever their position (a bucket's box grows with its entries and resets when it empties).
/// </para>
/// <para>
/// Per query: a box test for each non-empty bucket; the touched buckets nearest first by a lower bound of their distance,
/// stopping at the first that cannot beat the k found; a box test for each entry of the buckets scanned, the haversine
/// only for entries inside the box, and a bounded max-heap of the k best (no sort of everything, no dictionary).
/// </para>
/// </remarks>
internal sealed class ShardEntries
{
    private const double PaddingDegrees = 1e-9;

    private readonly double _bucketSize;
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Bucket> _bucketsByKey = [];
    private readonly List<Bucket> _buckets = [];

    /// <param name="bucketSizeDegrees">The side of a bucket; a tenth of an index cell keeps about ten drivers per bucket at city density.</param>
    public ShardEntries(double bucketSizeDegrees)
    {
        if (!(bucketSizeDegrees is > 0 and <= 180))
        {
            throw new ArgumentOutOfRangeException(nameof(bucketSizeDegrees), bucketSizeDegrees, "A bucket must be more than 0° and at most 180° wide.");
        }
        _bucketSize = bucketSizeDegrees;
    }

    public int Count => _slots.Count;

    /// <summary>Adds or moves an entry, unless the shard holds a newer one for its id; false if it was older.</summary>
    public bool Set(GeoCandidate candidate)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_slots, candidate.Id, out var exists);
        if (exists && slot.Bucket.Entries[slot.Index].SeenTicks > candidate.LastSeen.UtcTicks)
        {
            return false; // an older position arrived late
        }
        var key = BucketKey(candidate.Location);
        var entry = new Entry(candidate);
        if (exists)
        {
            var bucket = slot.Bucket;
            if (bucket.Key == key)
            {
                bucket.Replace(slot.Index, entry);
                return true;
            }
            // The returned slot reference stays valid: the moved entry's slot is updated in place, nothing is added.
            RemoveFromBucket(bucket, slot.Index);
        }
        var target = GetOrAddBucket(key);
        slot = new Slot(target, target.Add(entry));
        return true;
    }

    public bool Remove(string id)
    {
        if (!_slots.Remove(id, out var slot))
        {
            return false;
        }
        RemoveFromBucket(slot.Bucket, slot.Index);
        return true;
    }

    /// <summary>Every entry, in no particular order.</summary>
    public IEnumerable<GeoCandidate> All()
    {
        foreach (var bucket in _buckets)
        {
            for (var i = 0; i < bucket.Count; i++)
            {
                yield return new GeoCandidate(bucket.Entries[i].Id, bucket.Entries[i].Location, bucket.Entries[i].LastSeen);
            }
        }
    }

    /// <summary>Removes the entries last seen before <paramref name="cutoff"/>; returns their ids.</summary>
    public List<string> RemoveOlderThan(DateTimeOffset cutoff)
    {
        var ticks = cutoff.UtcTicks;
        var expired = new List<string>();
        foreach (var bucket in _buckets)
        {
            for (var i = 0; i < bucket.Count; i++)
            {
                if (bucket.Entries[i].SeenTicks < ticks)
                {
                    expired.Add(bucket.Entries[i].Id);
                }
            }
        }
        foreach (var id in expired)
        {
            Remove(id);
        }
        return expired;
    }

    /// <summary>
    /// The <paramref name="k"/> nearest entries seen at or after <paramref name="freshSince"/> within the radius
    /// (inclusive), by distance then id: exactly <see cref="NearestSearch.Nearest"/> over all entries.
    /// </summary>
    public ImmutableArray<GeoNeighbor> Nearest(GeoPoint center, double radiusMeters, int k, DateTimeOffset freshSince)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (!double.IsFinite(radiusMeters) || radiusMeters < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(radiusMeters), radiusMeters, "Radius must be a finite, non-negative number of metres.");
        }
        if (_slots.Count == 0)
        {
            return [];
        }
        var box = new SearchBox(center, radiusMeters);
        var lat1 = GeoMath.ToRadians(center.Latitude);
        var cosLat1 = Math.Cos(lat1);
        var lon1 = center.Longitude;
        var freshTicks = freshSince.UtcTicks;
        var best = new TopK(Math.Min(k, _slots.Count));

        // The touched buckets, nearest first by a lower bound of the haversine term of anything they hold, so the scan
        // can stop at the first bucket that cannot hold anything better than the k found.
        var touched = _buckets.Count <= 256 ? stackalloc Candidate[_buckets.Count] : new Candidate[_buckets.Count];
        var count = 0;
        for (var b = 0; b < _buckets.Count; b++)
        {
            var bucket = _buckets[b];
            if (box.Touches(bucket))
            {
                touched[count++] = new Candidate(box.HaversineLowerBound(bucket, cosLat1), b);
            }
        }
        touched = touched[..count];
        touched.Sort(static (a, b) => a.Bound.CompareTo(b.Bound));

        foreach (var candidate in touched)
        {
            if (best.Excludes(candidate.Bound))
            {
                break;
            }
            var bucket = _buckets[candidate.Bucket];
            var entries = bucket.Entries;
            for (var i = 0; i < bucket.Count; i++)
            {
                ref readonly var entry = ref entries[i];
                if (entry.SeenTicks < freshTicks || !box.Contains(entry.Latitude, entry.Longitude))
                {
                    continue;
                }
                var distance = GeoMath.DistanceMeters(lat1, cosLat1, lon1, entry.LatitudeRadians, entry.CosLatitude, entry.Longitude);
                if (distance <= radiusMeters)
                {
                    best.Offer(distance, in entry);
                }
            }
        }
        return best.ToSortedArray();
    }

    private long BucketKey(GeoPoint point)
    {
        // Rows and columns of a global grid; a bucket's box, not its nominal bounds, decides what a query looks at.
        var row = (long)Math.Floor((point.Latitude - GeoPoint.MinLatitude) / _bucketSize);
        var column = (long)Math.Floor((point.Longitude - GeoPoint.MinLongitude) / _bucketSize);
        return (row << 32) | column;
    }

    private Bucket GetOrAddBucket(long key)
    {
        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_bucketsByKey, key, out var exists);
        if (!exists)
        {
            bucket = new Bucket(key) { ListIndex = _buckets.Count };
            _buckets.Add(bucket);
        }
        return bucket!;
    }

    private void RemoveFromBucket(Bucket bucket, int index)
    {
        if (bucket.RemoveAt(index) is { } moved)
        {
            CollectionsMarshal.GetValueRefOrNullRef(_slots, moved).Index = index;
        }
        if (bucket.Count == 0)
        {
            _bucketsByKey.Remove(bucket.Key);
            var last = _buckets[^1];
            _buckets[bucket.ListIndex] = last;
            last.ListIndex = bucket.ListIndex;
            _buckets.RemoveAt(_buckets.Count - 1);
        }
    }

    private record struct Slot(Bucket Bucket, int Index);

    private readonly record struct Candidate(double Bound, int Bucket);

    /// <summary>An entry with what the distance needs of it computed once.</summary>
    private readonly struct Entry(GeoCandidate candidate)
    {
        public readonly string Id = candidate.Id;
        public readonly double Latitude = candidate.Location.Latitude;
        public readonly double Longitude = candidate.Location.Longitude;
        public readonly double LatitudeRadians = GeoMath.ToRadians(candidate.Location.Latitude);
        public readonly double CosLatitude = Math.Cos(GeoMath.ToRadians(candidate.Location.Latitude));
        public readonly long SeenTicks = candidate.LastSeen.UtcTicks;
        public readonly GeoPoint Location = candidate.Location;
        public readonly DateTimeOffset LastSeen = candidate.LastSeen;
    }

    private sealed class Bucket(long key)
    {
        public readonly long Key = key;
        public Entry[] Entries = new Entry[8];
        public int Count;
        public int ListIndex;
        public double MinLatitude = double.PositiveInfinity;
        public double MaxLatitude = double.NegativeInfinity;
        public double MinLongitude = double.PositiveInfinity;
        public double MaxLongitude = double.NegativeInfinity;

        /// <summary>The cosine of the latitude farthest from the equator in the box: the smallest cosine of any entry.</summary>
        public double MinCosLatitude = 1;

        public int Add(in Entry entry)
        {
            if (Count == Entries.Length)
            {
                Array.Resize(ref Entries, Count * 2);
            }
            Entries[Count] = entry;
            Grow(entry);
            return Count++;
        }

        public void Replace(int index, in Entry entry)
        {
            Entries[index] = entry;
            Grow(entry);
        }

        /// <summary>Removes by moving the last entry into the gap; returns the id of the entry moved, if any.</summary>
        public string? RemoveAt(int index)
        {
            var last = --Count;
            string? moved = null;
            if (index != last)
            {
                Entries[index] = Entries[last];
                moved = Entries[index].Id;
            }
            Entries[last] = default;
            if (Count == 0)
            {
                MinLatitude = MinLongitude = double.PositiveInfinity;
                MaxLatitude = MaxLongitude = double.NegativeInfinity;
                MinCosLatitude = 1;
            }
            return moved;
        }

        private void Grow(in Entry entry)
        {
            MinLatitude = Math.Min(MinLatitude, entry.Latitude);
            MaxLatitude = Math.Max(MaxLatitude, entry.Latitude);
            MinLongitude = Math.Min(MinLongitude, entry.Longitude);
            MaxLongitude = Math.Max(MaxLongitude, entry.Longitude);
            MinCosLatitude = Math.Min(MinCosLatitude, entry.CosLatitude);
        }
    }

    /// <summary>The latitude/longitude bounding box of a search circle, padded, with longitudes compared around the antimeridian.</summary>
    private readonly struct SearchBox
    {
        private readonly double _minLatitude;
        private readonly double _maxLatitude;
        private readonly double _centerLatitude;
        private readonly double _centerLongitude;
        private readonly double _longitudeSpan; // 180 or more: every longitude

        public SearchBox(GeoPoint center, double radiusMeters)
        {
            var angularRadius = Math.Min(radiusMeters / GeoMath.EarthRadiusMeters, Math.PI);
            var latitudeSpan = GeoMath.ToDegrees(angularRadius) + PaddingDegrees;
            _minLatitude = center.Latitude - latitudeSpan;
            _maxLatitude = center.Latitude + latitudeSpan;
            _centerLatitude = center.Latitude;
            _centerLongitude = center.Longitude;
            _longitudeSpan = 180;
            if (_minLatitude > GeoPoint.MinLatitude && _maxLatitude < GeoPoint.MaxLatitude)
            {
                // No pole inside. Near a ratio of 1 the arcsine is ill-conditioned: a circle that close to touching the
                // pole takes every longitude rather than trust the last bits.
                var ratio = Math.Sin(angularRadius) / Math.Cos(GeoMath.ToRadians(center.Latitude));
                if (ratio < 1 - 1e-9)
                {
                    _longitudeSpan = (GeoMath.ToDegrees(Math.Asin(ratio)) * (1 + 1e-12)) + PaddingDegrees;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Contains(double latitude, double longitude) =>
            latitude >= _minLatitude && latitude <= _maxLatitude && (_longitudeSpan >= 180 || LongitudeGap(longitude) <= _longitudeSpan);

        public bool Touches(Bucket bucket)
        {
            if (bucket.MaxLatitude < _minLatitude || bucket.MinLatitude > _maxLatitude)
            {
                return false;
            }
            if (_longitudeSpan >= 180 || (_centerLongitude >= bucket.MinLongitude && _centerLongitude <= bucket.MaxLongitude))
            {
                return true;
            }
            // A bucket spans far less than 180°, so its nearest longitude to the centre is one of its two edges.
            return Math.Min(LongitudeGap(bucket.MinLongitude), LongitudeGap(bucket.MaxLongitude)) <= _longitudeSpan;
        }

        /// <summary>
        /// A lower bound of the haversine term h = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) of every point in the bucket's box:
        /// the smallest latitude and longitude gaps, the smallest cosine, and sin x ≥ x − x³/6 (≥ 0 up to x = √6 &gt; π/2),
        /// so no trigonometry per bucket.
        /// </summary>
        public double HaversineLowerBound(Bucket bucket, double cosLatitude)
        {
            var latitudeGap = Math.Max(0, Math.Max(bucket.MinLatitude - _centerLatitude, _centerLatitude - bucket.MaxLatitude));
            var longitudeGap = _centerLongitude >= bucket.MinLongitude && _centerLongitude <= bucket.MaxLongitude
                ? 0
                : Math.Min(LongitudeGap(bucket.MinLongitude), LongitudeGap(bucket.MaxLongitude));
            var sinHalfLatitude = SineLowerBound(GeoMath.ToRadians(latitudeGap) / 2);
            var sinHalfLongitude = SineLowerBound(GeoMath.ToRadians(longitudeGap) / 2);
            return (sinHalfLatitude * sinHalfLatitude) + (cosLatitude * bucket.MinCosLatitude * sinHalfLongitude * sinHalfLongitude);
        }

        private static double SineLowerBound(double x) => x - (x * x * x / 6);

        /// <summary>Degrees between a longitude and the centre's, the short way around.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private double LongitudeGap(double longitude)
        {
            var gap = Math.Abs(longitude - _centerLongitude);
            return gap > 180 ? 360 - gap : gap;
        }
    }

    /// <summary>The k best (distance, then id) seen so far: a max-heap whose root is the worst of them.</summary>
    private struct TopK(int k)
    {
        private readonly GeoNeighbor[] _heap = new GeoNeighbor[k];
        private int _count;
        private double _worstHaversine = double.PositiveInfinity;
        private double _worstSinHalf = double.PositiveInfinity;

        /// <summary>
        /// Whether nothing whose haversine term is at least <paramref name="haversineLowerBound"/> can make the k best:
        /// the heap is full and the bound is beyond its worst, with a margin far wider than rounding.
        /// </summary>
        /// <remarks>
        /// The margin covers the rounding of h both relatively (1e-9) and absolutely, where the subtraction of nearby
        /// coordinates dominates (1e-15 · √h: about 2 · √h · the rounding of a coordinate in radians).
        /// </remarks>
        public readonly bool Excludes(double haversineLowerBound) =>
            haversineLowerBound > _worstHaversine + (_worstHaversine * 1e-9) + (_worstSinHalf * 1e-15) + 1e-30;

        public void Offer(double distance, in Entry entry)
        {
            if (_count == _heap.Length)
            {
                ref readonly var worst = ref _heap[0];
                if (distance > worst.DistanceMeters || (distance == worst.DistanceMeters && string.CompareOrdinal(entry.Id, worst.Id) >= 0))
                {
                    return;
                }
                _heap[0] = new GeoNeighbor(entry.Id, entry.Location, entry.LastSeen, distance);
                SiftDown(0);
                UpdateWorst();
                return;
            }
            _heap[_count] = new GeoNeighbor(entry.Id, entry.Location, entry.LastSeen, distance);
            SiftUp(_count++);
            if (_count == _heap.Length)
            {
                UpdateWorst();
            }
        }

        /// <summary>The haversine term of the worst distance kept: sin²(d / 2R).</summary>
        private void UpdateWorst()
        {
            _worstSinHalf = Math.Sin(_heap[0].DistanceMeters / (2 * GeoMath.EarthRadiusMeters));
            _worstHaversine = _worstSinHalf * _worstSinHalf;
        }

        public readonly ImmutableArray<GeoNeighbor> ToSortedArray()
        {
            var sorted = _count == _heap.Length ? _heap : _heap[.._count];
            Array.Sort(sorted, static (a, b) => Worse(a, b) ? 1 : Worse(b, a) ? -1 : 0);
            return ImmutableCollectionsMarshal.AsImmutableArray(sorted);
        }

        private static bool Worse(in GeoNeighbor a, in GeoNeighbor b) =>
            a.DistanceMeters > b.DistanceMeters || (a.DistanceMeters == b.DistanceMeters && string.CompareOrdinal(a.Id, b.Id) > 0);

        private readonly void SiftUp(int index)
        {
            while (index > 0)
            {
                var parent = (index - 1) / 2;
                if (!Worse(_heap[index], _heap[parent]))
                {
                    return;
                }
                (_heap[index], _heap[parent]) = (_heap[parent], _heap[index]);
                index = parent;
            }
        }

        private readonly void SiftDown(int index)
        {
            while (true)
            {
                var worst = index;
                var left = (2 * index) + 1;
                var right = left + 1;
                if (left < _count && Worse(_heap[left], _heap[worst]))
                {
                    worst = left;
                }
                if (right < _count && Worse(_heap[right], _heap[worst]))
                {
                    worst = right;
                }
                if (worst == index)
                {
                    return;
                }
                (_heap[index], _heap[worst]) = (_heap[worst], _heap[index]);
                index = worst;
            }
        }
    }
}
